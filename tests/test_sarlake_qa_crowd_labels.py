"""The labels a training run reads carry what the crowd's tags say of each product (``crowd_uwe0..3``), so that
``train`` can weigh them with the product's features (``pges.train.relabel``).

Truth: crowd-kit's own Dawid-Skene labels (``tag_consensus.ds_intensity``, an implementation apart from
``lake.rater_model``) are the most probable intensity of the fit's prior times the exported likelihood, and
unanimous raters make their intensity the likeliest."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import numpy as np
from click.testing import CliRunner


def test_the_labels_export_carries_the_crowds_likelihood_of_each_intensity(sarlake_home) -> None:
    from lake.catalog import load_table
    from lake.consensus import refresh_consensus
    from lake.rater_model import load_models
    from lake.storage import read_bytes
    from lake.write import upsert
    from pges.train.crowd import make_crowd, rate
    from pges.train.relabel import CROWD_COLUMNS
    from sarlake.cli import cli
    from sarlake.workflows.qa_train import train_run_config

    assert CliRunner().invoke(cli, ["init"], catch_exceptions=False).exit_code == 0
    rng = np.random.default_rng(3)
    truth = [{"product_id": f"P{i:04d}", "UWE": int(rng.choice(4, p=[0.5, 0.15, 0.15, 0.2]))} for i in range(600)]
    tags = rate(truth, make_crowd(seed=0), ("UWE",), 3, seed=0)
    upsert("user_tags", [{**t, "tagged_at": datetime.now(UTC)} for t in tags])
    refresh_consensus()
    consensus = {r["product_id"]: r for r in load_table("tag_consensus").scan().to_arrow().to_pylist()}
    upsert("qa_training_set", [
        {"product_id": t["product_id"], "dataset_id": "set-a", "scene_id": f"S{i // 5}", "split": "train",
         "uwe_label": consensus[t["product_id"]]["intensity"], "raters": 3, "agreement": 1.0, "missing_inputs": []}
        for i, t in enumerate(truth)])
    snapshot = load_table("qa_training_set").current_snapshot()
    dataset = {"dataset_id": "set-a", "data_version": str(snapshot.snapshot_id), "met_uri": "/x/set-a.met.json"}

    labels = train_run_config(dataset)["parameters"]["labels"]
    exported = list(csv.DictReader(read_bytes(labels).decode().splitlines()))
    assert len(exported) == len(truth)
    like = np.array([[float(r[c]) for c in CROWD_COLUMNS] for r in exported])
    np.testing.assert_allclose(like.sum(axis=1), 1, atol=1e-4)
    prior = load_models(("UWE",))["UWE"].prior
    ds = np.array([consensus[r["product_id"]]["ds_intensity"] for r in exported])
    assert ((like * prior).argmax(axis=1) == ds).mean() >= 0.98  # the rest: the pseudo-count of a 150-tag rater
    votes = {}
    for t in tags:
        votes.setdefault(t["product_id"], []).append(t["intensity"])
    unanimous = [i for i, r in enumerate(exported) if len(set(votes[r["product_id"]])) == 1]
    assert len(unanimous) > 100
    assert all(like[i].argmax() == votes[exported[i]["product_id"]][0] for i in unanimous)
