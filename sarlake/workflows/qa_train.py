"""QA training: labelled set -> simulated crowd -> tags and consensus in the lake -> training table -> models.

1. the ``qa_dataset`` PGE simulates the scenes and writes the set (truth kept apart in ``truth/``);
2. the simulated crowd (:mod:`pges.train.crowd`) tags every product for all eleven tag types from that truth;
   the tags go to ``user_tags`` (``source = simulated``) and :func:`lake.consensus.refresh_consensus` labels
   each product (majority, Dawid-Skene);
3. the products with their consensus UWE label, the crowd's likelihood of each class (from the same fit) and
   fixed split go to ``qa_training_set``; the snapshot id of that commit is the data version of every model
   trained on it, tagged ``<dataset>-<snapshot id>`` so that maintenance keeps it (:mod:`lake.versions`);
4. the ``train`` PGE fits, evaluates, logs and registers the models and moves ``champion``/``challenger``.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pges.contract import PGEParameters
from pges.train.config import TrainParameters
from sarlake.workflows.pge import manual_run_id

__all__ = ["TRAIN_OPTIONS", "build_training_set", "check_pods_reach", "check_registry_reach", "dataset_run_config",
           "ensure_champion", "has_champion", "label_training_set", "train_models", "train_options", "train_qa",
           "train_run_config", "training_record"]

logger = logging.getLogger(__name__)

#: what this layer sets in every ``train`` run-config: the set, the registry and the real check (from settings)
SET_BY_THE_LAKE = frozenset({"labels", "data_version", "tracking_uri", "artifact_root", "model_name", "experiment",
                             "real_check", "max_real_false_alarms"})
#: the ``train`` PGE's options a caller chooses (its parameters less the contract's and the lake's)
TRAIN_OPTIONS = frozenset(TrainParameters.model_fields) - frozenset(PGEParameters.model_fields) - SET_BY_THE_LAKE


def dataset_run_config(scenes: int, *, first_scene: int = 0, dataset_id: str | None = None,
                       run_id: str | None = None, workers: int = 1) -> dict[str, Any]:
    """The ``qa_dataset`` PGE's run-config for a labelled set of ``scenes`` scenes (published in the lake).

    The tables the labelling writes are loaded first, so a lake without them fails before minutes of simulation.
    """
    from lake.catalog import load_table
    from lake.settings import get_settings

    settings = get_settings()
    for table in ("user_tags", "tag_consensus", "qa_training_set"):
        load_table(table, settings)
    return {
        "pge": "qa_dataset", "run_id": run_id or manual_run_id("qa_dataset"),
        "inputs": [], "output_dir": f"{settings.products_root.rstrip('/')}/QA_TRAINING_SET",
        "parameters": {"dataset_id": dataset_id or f"qa-set-{first_scene}-{scenes}", "scenes": scenes,
                       "first_scene": first_scene, "workers": workers},
    }


def label_training_set(met_uri: str, *, first_scene: int = 0, raters_per_product: int = 3) -> dict[str, Any]:
    """Tag a published labelled set with the simulated crowd and record it in ``qa_training_set``.

    Args:
        met_uri: the set's met.json (the ``qa_dataset`` PGE's product).
        first_scene: the set's first scene, which seeds the crowd.
        raters_per_product: raters tagging each product.

    Returns:
        ``{"dataset_id", "met_uri", "data_version", "products", "label_noise"}``.
    """
    import numpy as np

    from lake.catalog import load_table
    from lake.consensus import refresh_consensus
    from lake.rater_model import crowd_likelihoods
    from lake.settings import get_settings
    from lake.storage import read_bytes
    from lake.tags import TAG_TYPES
    from lake.versions import tag_version
    from lake.write import upsert
    from pges.train.crowd import label_noise, make_crowd, rate

    settings = get_settings()
    folder = met_uri.rsplit("/", 1)[0]  # a folder or an S3 prefix, named after the set (pges.storage.Publisher)
    dataset_id = folder.rsplit("/", 1)[-1]
    products = list(csv.DictReader(read_bytes(f"{folder}/products.csv", settings).decode().splitlines()))
    truth = list(csv.DictReader(read_bytes(f"{folder}/truth/truth.csv", settings).decode().splitlines()))
    tags = rate(truth, make_crowd(seed=first_scene), tuple(TAG_TYPES), raters_per_product, seed=first_scene)
    now = datetime.now(UTC)
    upsert("user_tags", [{**t, "tagged_at": now} for t in tags], settings)
    refresh_consensus(settings)
    ids = [p["product_id"] for p in products]
    cons = {r["product_id"]: r for r in load_table("tag_consensus", settings).scan(
        selected_fields=("product_id", "tag_type", "intensity", "raters", "agreement")
    ).to_arrow().to_pylist() if r["tag_type"] == "UWE"}
    # recorded with the label, from the same fit, so that the data version pins both (tags added later change neither)
    crowd = crowd_likelihoods(ids, "UWE", settings)
    rows = [{"product_id": p["product_id"], "dataset_id": dataset_id, "scene_id": p["scene_id"], "split": p["split"],
             "uwe_label": cons[p["product_id"]]["intensity"], "raters": cons[p["product_id"]]["raters"],
             "agreement": cons[p["product_id"]]["agreement"],
             "missing_inputs": [m for m in p["missing_inputs"].split(";") if m],
             **_crowd_cells(crowd.get(p["product_id"]))} for p in products]
    # the snapshot holding these rows (another set labelled at once may commit after it): the data version of every
    # model trained on the set, tagged so that maintenance keeps it
    version = upsert("qa_training_set", rows, settings).snapshot_id
    if version is not None:
        tag_version("qa_training_set", version, f"{dataset_id}-{version}", settings)
    noise = label_noise({t["product_id"]: int(t["UWE"]) for t in truth},
                        {i: int(cons[i]["intensity"]) for i in ids})
    logger.info("training set %s: %d products, consensus vs truth %s", dataset_id, len(ids), noise)
    return {"dataset_id": dataset_id, "met_uri": met_uri, "data_version": str(version or ""),
            "products": len(ids), "label_noise": {k: round(float(v), 4) for k, v in noise.items()
                                                   if np.isfinite(v)}}


def build_training_set(scenes: int, *, first_scene: int = 0, dataset_id: str | None = None,
                       raters_per_product: int = 3, run_id: str | None = None, workers: int = 1) -> dict[str, Any]:
    """Make a labelled set (the ``qa_dataset`` PGE, here), tag it and record it (:func:`label_training_set`)."""
    from sarlake.workflows.pge import run_pge

    result = run_pge("qa_dataset", dataset_run_config(scenes, first_scene=first_scene, dataset_id=dataset_id,
                                                      run_id=run_id, workers=workers))
    return label_training_set(result["products"][0]["met_uri"], first_scene=first_scene,
                              raters_per_product=raters_per_product)


def train_options(given: Mapping[str, Any]) -> dict[str, Any]:
    """The ``train`` PGE's options among ``given`` (a DAG trigger's params, CLI flags), empty ones left out.

    An option left out takes the PGE's default (:class:`pges.train.config.TrainParameters`), so that each default
    lives in one place; ``models`` empty means every model. Values are passed as given: the PGE validates them.
    """
    return {k: v for k, v in given.items() if k in TRAIN_OPTIONS and v is not None and v != "" and v != []}


def train_run_config(dataset: dict[str, Any], *, run_id: str | None = None, real_check: str | None = None,
                     max_real_false_alarms: float | None = None, **options: Any) -> dict[str, Any]:
    """The ``train`` PGE's run-config; the set's labels at its data version are exported beside it in the lake.

    The labels CSV goes to ``<products root>/QA_TRAINING_LABELS/`` (S3 on a production lake), so that a PGE pod
    reads it as it reads the set. Beside each consensus label it carries what the crowd's tags say of the product
    (``crowd_uwe0..3``, empty without a fit), which ``train`` combines with the product's features
    (``pges.train.relabel``). Both come from the set's rows at its data version: :func:`label_training_set` records
    the likelihoods (``lake.rater_model.crowd_likelihoods``) with the labels, from the same fit. A set labelled
    before ``qa_training_set`` had those columns gets them from the current tags and fit, with a warning.

    ``real_check`` (default the ``qa_real_check`` setting) names the manifest of real products that gates promotion
    (``pges.train.realcheck``); ``max_real_false_alarms`` defaults to its setting. ``options`` are the PGE's own
    (:data:`TRAIN_OPTIONS`: ``models``, ``quick``, ``seed``, ``workers``, ``second_sim_products``, ``unet_scenes``,
    ``fresh_scenes``, ``class_thresholds``, ``crowd_relabel``, ...); one that is None or left out takes the PGE's
    default (:func:`train_options`).

    With the Kubernetes runner the PGE is a pod: :func:`check_pods_reach` says what it could not reach (the
    ``qa_train`` DAG calls it first, before the set is simulated).

    Raises:
        TypeError: an option the ``train`` PGE does not have.
    """
    import io

    from lake.catalog import load_table
    from lake.rater_model import crowd_likelihoods
    from lake.settings import get_settings, is_remote
    from lake.storage import write_bytes
    from pges.qa.registry_access import without_password
    from pges.train.relabel import CROWD_COLUMNS

    unknown = sorted(set(options) - TRAIN_OPTIONS)
    if unknown:
        raise TypeError(f"the train PGE has no option {', '.join(unknown)}; it has {', '.join(sorted(TRAIN_OPTIONS))}")
    settings = get_settings()
    table = load_table("qa_training_set", settings)
    version = int(dataset["data_version"])
    pinned = _has_crowd_columns(table, version)
    scan = table.scan(snapshot_id=version, selected_fields=("product_id", "dataset_id", "uwe_label", "split",
                                                            *(CROWD_COLUMNS if pinned else ())))
    rows = [r for r in scan.to_arrow().to_pylist() if r["dataset_id"] == dataset["dataset_id"]]
    if not pinned:
        logger.warning("set %s was labelled before qa_training_set recorded the crowd's likelihoods: they are taken "
                       "from the current tags and fit, not pinned to data version %s (label the set again to pin "
                       "them)", dataset["dataset_id"], version)
        crowd = crowd_likelihoods([r["product_id"] for r in rows], "UWE", settings)
        rows = [{**r, **_crowd_cells(crowd.get(r["product_id"]))} for r in rows]
    text = io.StringIO()
    w = csv.writer(text)
    w.writerow(["product_id", "label", "split", *CROWD_COLUMNS])
    w.writerows([r["product_id"], r["uwe_label"], r["split"],
                 *("" if r[c] is None else f"{r[c]:.6g}" for c in CROWD_COLUMNS)] for r in rows)
    labels = (f"{settings.products_root.rstrip('/')}/QA_TRAINING_LABELS/"
              f"labels-{dataset['dataset_id']}-{dataset['data_version']}.csv")
    write_bytes(labels, text.getvalue().encode(), settings)
    params: dict[str, Any] = {
        "labels": labels.removeprefix("file://"), "data_version": dataset["data_version"],
        "tracking_uri": without_password(settings.mlflow_tracking_uri), "artifact_root": settings.mlflow_artifact_root,
        "model_name": settings.qa_model_name, **train_options(options),
    }
    real_check = real_check if real_check is not None else settings.qa_real_check
    if real_check:
        params["real_check"] = real_check if is_remote(real_check) else str(Path(real_check).absolute())
        params["max_real_false_alarms"] = (settings.qa_max_real_false_alarms if max_real_false_alarms is None
                                           else max_real_false_alarms)
    return {"pge": "train", "run_id": run_id or manual_run_id("train"),
            "inputs": [dataset["met_uri"]], "output_dir": f"{settings.products_root.rstrip('/')}/QA_TRAINING_RUN",
            "parameters": params}


def _crowd_cells(likelihood: Any) -> dict[str, float | None]:
    """A product's ``crowd_uwe0..3`` cells (None without a likelihood: no UWE vote, or no fit)."""
    from pges.train.relabel import CROWD_COLUMNS

    return {c: None if likelihood is None else float(likelihood[k]) for k, c in enumerate(CROWD_COLUMNS)}


def _has_crowd_columns(table: Any, snapshot_id: int) -> bool:
    """Whether ``qa_training_set`` had the ``crowd_uwe*`` columns when ``snapshot_id`` was committed."""
    from pges.train.relabel import CROWD_COLUMNS

    snapshot = table.snapshot_by_id(snapshot_id)
    if snapshot is None:
        raise ValueError(f"qa_training_set has no snapshot {snapshot_id}")
    schema = table.schemas().get(snapshot.schema_id, table.schema())
    return set(CROWD_COLUMNS) <= set(schema.column_names)


def check_pods_reach(real_check: str | None, settings: Any = None) -> None:
    """Refuse a real check that cannot be read, before the labelled set is simulated.

    A manifest on this machine must exist; with the Kubernetes runner, what a ``train`` PGE pod cannot reach (it
    sees no disk of this machine) is refused too.

    Args:
        real_check: the real check manifest the training will use (None: the ``qa_real_check`` setting).
        settings: the lake settings (default: the environment's).

    Raises:
        InputValidationError: naming the setting that puts the manifest, the registry or the artifacts on local disk.
    """
    from lake.settings import get_settings, is_remote
    from pges.errors import InputValidationError

    settings = settings or get_settings()
    real_check = real_check if real_check is not None else settings.qa_real_check
    if settings.runner != "kubernetes":
        if real_check and not is_remote(real_check) and not Path(real_check).is_file():
            raise InputValidationError(f"real check manifest {real_check} does not exist (the qa_train DAG's "
                                       "real_check, SARLAKE_QA_REAL_CHECK)")
        return
    if real_check and not is_remote(real_check):
        raise InputValidationError(
            f"real check manifest {real_check} is on this machine's disk, which a PGE pod cannot read: put it and "
            "its files on S3 and name its s3:// URI (the qa_train DAG's real_check, SARLAKE_QA_REAL_CHECK)")
    check_registry_reach(settings)


def check_registry_reach(settings: Any) -> None:
    """With the Kubernetes runner, refuse a registry or model artifacts that a PGE pod cannot reach.

    Raises:
        InputValidationError: naming the setting that puts the registry or the artifacts on this machine's disk.
    """
    from lake.settings import is_remote
    from pges.errors import InputValidationError

    if settings.runner != "kubernetes":
        return
    if settings.mlflow_tracking_uri.startswith(("sqlite:", "file:", "/")):
        raise InputValidationError(
            f"the MLflow registry {settings.mlflow_tracking_uri} is a local file, which a PGE pod cannot reach: set "
            "SARLAKE_MLFLOW_TRACKING_URI to the tracking server (http://...) or its PostgreSQL database")
    if not is_remote(settings.mlflow_artifact_root):
        raise InputValidationError(
            f"MLflow artifacts go to the local folder {settings.mlflow_artifact_root}, which a PGE pod cannot reach: "
            "set SARLAKE_MLFLOW_ARTIFACT_ROOT=s3://bucket/mlartifacts")


def training_record(met_uri: str) -> dict[str, Any]:
    """The ``training.json`` of a ``train`` PGE's product (its met.json), with ``folder`` where it is."""
    from lake.settings import get_settings
    from lake.storage import read_json

    folder = met_uri.rsplit("/", 1)[0]  # a folder or an S3 prefix
    record: dict[str, Any] = read_json(f"{folder}/training.json", get_settings())
    record["folder"] = folder.removeprefix("file://")
    return record


def train_models(dataset: dict[str, Any], **options: Any) -> dict[str, Any]:
    """Run the ``train`` PGE here on the set (options: :func:`train_run_config`'s); return its training record.

    The run-config names the registry without its password; the PGE takes that from ``SARLAKE_MLFLOW_TRACKING_URI``
    in its environment, which here is this process's: set for the run when the settings came from a YAML file.
    """
    from lake.settings import get_settings
    from pges.qa.registry_access import ENV_URI
    from sarlake.workflows.environ import environ
    from sarlake.workflows.pge import run_pge

    settings = get_settings()
    cfg = train_run_config(dataset, **options)
    with environ({ENV_URI: settings.mlflow_tracking_uri}):
        result = run_pge("train", cfg)
    return training_record(result["products"][0]["met_uri"])


def train_qa(scenes: int, *, first_scene: int = 0, workers: int = 1, **options: Any) -> dict[str, Any]:
    """Build a labelled set of ``scenes`` scenes and train the models on it (``make train``, ``ensure_champion``).

    ``workers`` processes simulate the set and the train PGE's own scenes; ``options``: :func:`train_run_config`'s.
    """
    dataset = build_training_set(scenes, first_scene=first_scene, workers=workers)
    record = train_models(dataset, workers=workers, **options)
    record["label_noise"] = dataset["label_noise"]
    return record


def has_champion(model_name: str | None = None) -> bool:
    """Whether the registry has a ``champion`` version of the QA model that this code can score with.

    A champion trained on an older feature set (:func:`pges.qa.score.stale_feature_set`) does not count: a
    scorer refuses it, so ``--if-no-champion`` and :func:`ensure_champion` train a new one.
    """
    import mlflow

    from lake.settings import get_settings
    from pges.qa.score import stale_feature_set

    settings = get_settings()
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    try:
        mv = mlflow.MlflowClient().get_model_version_by_alias(model_name or settings.qa_model_name, "champion")
    except mlflow.exceptions.MlflowException:
        return False
    stale = stale_feature_set(mv.tags)
    if stale:
        logger.warning("the champion (version %s) was trained on feature set %s: it has to be retrained", mv.version,
                       stale)
    return stale is None


def ensure_champion(scenes: int = 40) -> dict[str, Any] | None:
    """Train a small champion (quick models) when the registry has none; return the record or None."""
    if has_champion():
        return None
    return train_qa(scenes, quick=True)
