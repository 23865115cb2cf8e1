"""The labels a training run reads carry what the crowd's tags say of each product (``crowd_uwe0..3``), so that
``train`` can weigh them with the product's features (``pges.train.relabel``), and they are those of the set's
data version: recorded in ``qa_training_set`` with the consensus label, from the same fit.

Truth: crowd-kit's own Dawid-Skene labels (``tag_consensus.ds_intensity``, an implementation apart from
``lake.rater_model``) are the most probable intensity of the fit's prior times the exported likelihood, and
unanimous raters make their intensity the likeliest. Tags added after the set was labelled move the current
fit's likelihoods (checked) and not the exported ones."""

from __future__ import annotations

import csv
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

PRODUCTS = 600


def _publish_set(folder: Path) -> list[dict[str, int | str]]:
    """A labelled set's files as the ``qa_dataset`` PGE publishes them: products.csv and truth/truth.csv."""
    rng = np.random.default_rng(3)
    truth: list[dict[str, int | str]] = [
        {"product_id": f"P{i:04d}", "UWE": int(rng.choice(4, p=[0.5, 0.15, 0.15, 0.2]))} for i in range(PRODUCTS)]
    (folder / "truth").mkdir(parents=True)
    with open(folder / "products.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["product_id", "scene_id", "split", "missing_inputs"])
        w.writerows([t["product_id"], f"S{i // 5}", "test" if i % 5 == 0 else "train", ""]
                    for i, t in enumerate(truth))
    with open(folder / "truth" / "truth.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["product_id", "UWE"])
        w.writerows([t["product_id"], t["UWE"]] for t in truth)
    return truth


def _export(dataset: dict[str, str]) -> list[dict[str, str]]:
    from lake.storage import read_bytes
    from sarlake.workflows.qa_train import train_run_config

    labels = train_run_config(dataset)["parameters"]["labels"]
    return list(csv.DictReader(read_bytes(labels).decode().splitlines()))


def _likelihoods(rows: list[dict[str, str]]) -> np.ndarray:
    from pges.train.relabel import CROWD_COLUMNS

    return np.array([[float(r[c]) for c in CROWD_COLUMNS] for r in rows])


def _add_expert(truth: list[dict[str, int | str]]) -> None:
    """A new rater tags every product at its true intensity, and the consensus is refitted (as `tag import` does)."""
    from lake.consensus import refresh_consensus
    from lake.write import upsert

    upsert("user_tags", [{"product_id": t["product_id"], "user": "late-expert", "tag_type": "UWE",
                          "intensity": t["UWE"], "source": "human", "tagged_at": datetime.now(UTC)} for t in truth])
    refresh_consensus()


def test_the_labels_export_carries_the_crowds_likelihood_of_each_intensity(sarlake_home, tmp_path) -> None:
    from lake.catalog import load_table
    from lake.rater_model import crowd_likelihoods, load_models
    from sarlake.cli import cli
    from sarlake.workflows.qa_train import label_training_set

    assert CliRunner().invoke(cli, ["init"], catch_exceptions=False).exit_code == 0
    truth = _publish_set(tmp_path / "set-a")
    dataset = label_training_set(str(tmp_path / "set-a" / "met.json"))
    assert dataset["dataset_id"] == "set-a" and dataset["products"] == PRODUCTS

    exported = _export(dataset)
    assert len(exported) == len(truth)
    like = _likelihoods(exported)
    np.testing.assert_allclose(like.sum(axis=1), 1, atol=1e-4)
    consensus = {r["product_id"]: r for r in load_table("tag_consensus").scan().to_arrow().to_pylist()
                 if r["tag_type"] == "UWE"}
    prior = load_models(("UWE",))["UWE"].prior
    ds = np.array([consensus[r["product_id"]]["ds_intensity"] for r in exported])
    assert ((like * prior).argmax(axis=1) == ds).mean() >= 0.98  # the rest: the pseudo-count of a 150-tag rater
    votes: dict[str, list[int]] = {}
    for t in load_table("user_tags").scan().to_arrow().to_pylist():
        if t["tag_type"] == "UWE":
            votes.setdefault(t["product_id"], []).append(t["intensity"])
    unanimous = [i for i, r in enumerate(exported) if len(set(votes[r["product_id"]])) == 1]
    assert len(unanimous) > 100
    assert all(like[i].argmax() == votes[exported[i]["product_id"]][0] for i in unanimous)

    # tags added later change the current fit's likelihoods, not the set's at its data version
    ids = [r["product_id"] for r in exported]
    _add_expert(truth)
    now = crowd_likelihoods(ids)
    assert np.abs(np.array([now[i] for i in ids]) - like).max(axis=1).mean() > 0.1
    again = _export(dataset)
    assert [r["label"] for r in again] == [r["label"] for r in exported]
    np.testing.assert_allclose(_likelihoods(again), like, atol=1e-6)


def test_a_sets_data_version_is_tagged_and_outlives_maintenance(sarlake_home, tmp_path) -> None:
    from datetime import timedelta

    from lake.catalog import load_table
    from lake.maintenance import maintain
    from lake.versions import tagged_versions
    from lake.write import upsert
    from sarlake.cli import cli
    from sarlake.workflows.qa_train import label_training_set

    assert CliRunner().invoke(cli, ["init"], catch_exceptions=False).exit_code == 0
    truth = _publish_set(tmp_path / "set-a")
    dataset = label_training_set(str(tmp_path / "set-a" / "met.json"))
    version = int(dataset["data_version"])
    assert tagged_versions("qa_training_set") == {f"set-a-{version}": version}
    consensus = {r["product_id"]: r["intensity"] for r in load_table("tag_consensus").scan().to_arrow().to_pylist()
                 if r["tag_type"] == "UWE"}
    for k in range(3):  # later sets (here one row each) move the table on
        upsert("qa_training_set", [{"product_id": f"Q{k}", "dataset_id": f"set-{k}", "uwe_label": 0}])
    maintain(["qa_training_set"], older_than=timedelta(0), retain_last=1, orphans_older_than=timedelta(0))
    assert len(load_table("qa_training_set").snapshots()) == 2  # the current one and the tagged data version

    exported = _export(dataset)
    assert {r["product_id"]: int(r["label"]) for r in exported} == consensus
    assert len(exported) == len(truth) and all(r["crowd_uwe0"] for r in exported)


def test_a_set_labelled_before_the_likelihoods_were_recorded_gets_the_current_ones(
        sarlake_home, tmp_path, monkeypatch, caplog) -> None:
    import lake.tables
    from lake.catalog import init_lake, load_table
    from lake.consensus import refresh_consensus
    from lake.rater_model import crowd_likelihoods
    from lake.write import upsert
    from pges.train.crowd import make_crowd, rate
    from pges.train.relabel import CROWD_COLUMNS

    spec = lake.tables.TABLES["qa_training_set"]
    old = dataclasses.replace(spec, columns=tuple(c for c in spec.columns if c.name not in CROWD_COLUMNS))
    monkeypatch.setitem(lake.tables.TABLES, "qa_training_set", old)
    init_lake()
    truth = _publish_set(tmp_path / "set-old")
    # what label_training_set wrote before the columns existed: the consensus label alone
    upsert("user_tags", [{**t, "tagged_at": datetime.now(UTC)} for t in rate(truth, make_crowd(seed=0), ("UWE",))])
    refresh_consensus()
    consensus = {r["product_id"]: r["intensity"] for r in load_table("tag_consensus").scan().to_arrow().to_pylist()}
    upsert("qa_training_set", [{"product_id": t["product_id"], "dataset_id": "set-old", "scene_id": "S0",
                                "split": "train", "uwe_label": consensus[t["product_id"]], "raters": 3,
                                "agreement": 1.0, "missing_inputs": []} for t in truth])
    dataset = {"dataset_id": "set-old", "met_uri": str(tmp_path / "set-old" / "met.json"),
               "data_version": str(load_table("qa_training_set").current_snapshot().snapshot_id)}
    monkeypatch.setitem(lake.tables.TABLES, "qa_training_set", spec)
    init_lake()  # the upgrade adds the columns; the set's data version stays a snapshot of the old schema
    assert set(CROWD_COLUMNS) <= set(load_table("qa_training_set").schema().column_names)

    with caplog.at_level("WARNING", logger="sarlake.workflows.qa_train"):
        exported = _export(dataset)
    assert "labelled before qa_training_set recorded the crowd's likelihoods" in caplog.text
    current = crowd_likelihoods([r["product_id"] for r in exported])
    np.testing.assert_allclose(_likelihoods(exported), np.array([current[r["product_id"]] for r in exported]),
                               atol=1e-5)


def test_a_data_version_that_is_not_a_snapshot_of_the_training_table_is_named(sarlake_home, tmp_path) -> None:
    from sarlake.cli import cli

    assert CliRunner().invoke(cli, ["init"], catch_exceptions=False).exit_code == 0
    with pytest.raises(ValueError, match="qa_training_set has no snapshot 12345"):
        _export({"dataset_id": "set-x", "data_version": "12345", "met_uri": str(tmp_path / "met.json")})
