"""MLflow 3 tracking of QA models: one run per model, one registered model, aliases moved by comparison.

Each run logs its parameters, the data version (the Iceberg snapshot id of the training table, given by the
caller), the code version, metrics on the held-out split (against the simulator's truth and against the crowd
consensus), the figures, feature importances, a signature and an input example. scikit-learn models are saved
with skops (safe loading) with their trusted types listed explicitly; every model lists its pip requirements.

Promotion (:func:`promote`): the best candidate of this training run (F1 for UWE >= 2 on the held-out split,
then mean per-class accuracy) takes the ``champion`` alias only if it beats the current champion scored on the
same split; the runner-up gets ``challenger``.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from pges import __version__
from pges.qa.features import FEATURE_SET
from pges.train.models import Fitted

__all__ = ["Candidate", "log_candidate", "open_tracking", "promote", "score_version"]

logger = logging.getLogger(__name__)

EXPERIMENT = "sarlake-qa"


@dataclass
class Candidate:
    """A logged model version and its held-out metrics."""

    name: str
    run_id: str
    version: str
    metrics: dict[str, float]

    def rank(self) -> tuple[float, float]:
        """Sort key: F1 for UWE >= 2, then the mean per-class accuracy."""
        return rank_of(self.metrics)


def rank_of(m: dict[str, float]) -> tuple[float, float]:
    """``(F1, mean per-class accuracy)`` of held-out metrics (NaN counts as 0)."""
    acc = [m.get(f"test_accuracy_uwe{k}", 0.0) for k in range(4)]
    return float(np.nan_to_num(m.get("test_f1_uwe2", 0.0))), float(np.nanmean(acc))


def open_tracking(tracking_uri: str, artifact_root: str | None, experiment: str = EXPERIMENT) -> str:
    """Point MLflow at ``tracking_uri`` and return the experiment id (created with ``artifact_root``)."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    exp = mlflow.get_experiment_by_name(experiment)
    if exp is None:
        location = Path(artifact_root).absolute().as_uri() if artifact_root and "://" not in artifact_root \
            else artifact_root
        return str(mlflow.create_experiment(experiment, artifact_location=location))
    return str(exp.experiment_id)


def _requirements(flavor: str) -> list[str]:
    names = ["numpy", "pandas", "scikit-learn", "skops"] if flavor == "sklearn" else ["numpy", "tensorflow-cpu",
                                                                                     "keras"]
    return [f"{n}=={version(n)}" for n in names]


def log_candidate(
    fitted: Fitted, x_example: Any, metrics: dict[str, float], figure_paths: dict[str, Path],
    *, experiment_id: str, model_name: str, data_version: str, dataset: dict[str, Any],
) -> Candidate:
    """Log one fitted model as an MLflow run and register it as a new version of ``model_name``."""
    import mlflow
    from mlflow.models import infer_signature

    with mlflow.start_run(experiment_id=experiment_id, run_name=fitted.name) as run:
        mlflow.log_params({f"model.{k}": v for k, v in fitted.params.items()})
        mlflow.log_params({"model": fitted.name, "input_kind": fitted.input_kind, "feature_set": FEATURE_SET,
                           "data_version": data_version, "code_version": __version__,
                           **{f"dataset.{k}": v for k, v in dataset.items()}})
        mlflow.set_tags({"sarlake.data_version": data_version, "sarlake.input_kind": fitted.input_kind})
        mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
        for path in figure_paths.values():
            mlflow.log_artifact(str(path), artifact_path="figures")
        if fitted.importances:
            mlflow.log_dict(fitted.importances, "feature_importances.json")
        if fitted.history:
            mlflow.log_dict(fitted.history, "training_history.json")
        example = x_example[:2]
        signature = infer_signature(example, fitted.predict_proba(example))
        tags = {"sarlake.input_kind": fitted.input_kind, "sarlake.feature_set": FEATURE_SET,
                "sarlake.data_version": data_version}
        if fitted.flavor == "sklearn":
            import mlflow.sklearn
            import skops.io

            trusted = skops.io.get_untrusted_types(data=skops.io.dumps(fitted.model))
            info = mlflow.sklearn.log_model(
                fitted.model, name="model", registered_model_name=model_name, signature=signature,
                input_example=example, pip_requirements=_requirements("sklearn"), serialization_format="skops",
                skops_trusted_types=trusted, pyfunc_predict_fn="predict_proba",
            )
        else:
            import mlflow.tensorflow

            info = mlflow.tensorflow.log_model(
                fitted.model, name="model", registered_model_name=model_name, signature=signature,
                input_example=example, pip_requirements=_requirements("keras"),
            )
        ver = str(info.registered_model_version)
        client = mlflow.MlflowClient()
        for k, v in tags.items():
            client.set_model_version_tag(model_name, ver, k, v)
        client.set_model_version_tag(model_name, ver, "sarlake.test_f1_uwe2", f"{metrics['test_f1_uwe2']:.4f}")
        logger.info("%s: run %s, %s version %s, F1(UWE>=2) %.3f", fitted.name, run.info.run_id, model_name, ver,
                    metrics["test_f1_uwe2"])
        return Candidate(fitted.name, run.info.run_id, ver, metrics)


def score_version(model_name: str, version_or_alias: str, inputs: dict[str, Any]) -> np.ndarray:
    """(n, 4) probabilities of a registered version (or alias) on the inputs of its kind.

    Args:
        model_name: registered model.
        version_or_alias: ``"3"`` or ``"@champion"``.
        inputs: input kind -> model input (see :func:`pges.qa.model_io.to_model_input`).
    """
    import mlflow

    client = mlflow.MlflowClient()
    if version_or_alias.startswith("@"):
        mv = client.get_model_version_by_alias(model_name, version_or_alias[1:])
    else:
        mv = client.get_model_version(model_name, version_or_alias)
    kind = mv.tags.get("sarlake.input_kind", "features")
    model = mlflow.pyfunc.load_model(f"models:/{model_name}/{mv.version}")
    return np.asarray(model.predict(inputs[kind]), dtype=np.float64)


def promote(model_name: str, candidates: list[Candidate], champion_metrics: dict[str, float] | None,
            champion_version: str | None) -> dict[str, Any]:
    """Move ``champion``/``challenger`` by comparing on the same held-out split; return what happened."""
    import mlflow

    client = mlflow.MlflowClient()
    ranked = sorted(candidates, key=lambda c: c.rank(), reverse=True)
    best = ranked[0]
    decision: dict[str, Any] = {"best_candidate": best.name, "best_version": best.version,
                                "best_rank": best.rank(), "previous_champion": champion_version}
    if champion_version is None or champion_metrics is None or best.rank() > rank_of(champion_metrics):
        client.set_registered_model_alias(model_name, "champion", best.version)
        challenger = ranked[1].version if len(ranked) > 1 else champion_version
        if champion_version is not None and len(ranked) > 1 and champion_metrics is not None \
                and rank_of(champion_metrics) > ranked[1].rank():
            challenger = champion_version  # the old champion is the runner-up
        decision["champion"] = best.version
        decision["reason"] = ("no champion yet" if champion_version is None else
                              f"beats version {champion_version} on the same split "
                              f"({best.rank()} > {rank_of(champion_metrics or {})})")
    else:
        challenger = best.version
        decision["champion"] = champion_version
        decision["reason"] = (f"version {champion_version} stays: {rank_of(champion_metrics)} >= {best.rank()} "
                              "on the same split")
    if challenger and challenger != decision["champion"]:
        client.set_registered_model_alias(model_name, "challenger", challenger)
    decision["challenger"] = challenger
    client.set_model_version_tag(model_name, decision["champion"], "sarlake.promotion", json.dumps(decision,
                                                                                                   default=str))
    logger.info("promotion: %s", decision)
    return decision


def scratch_dir() -> Path:
    """A temporary folder for figures before they are logged."""
    return Path(tempfile.mkdtemp(prefix="sarlake-train-"))
