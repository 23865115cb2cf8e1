"""MLflow 3 tracking of QA models: one run per model, one registered model, aliases moved by comparison.

Each run logs its parameters, the data version (the Iceberg snapshot id of the training table, given by the
caller), the code version, metrics on the held-out split (against the simulator's truth and against the crowd
consensus), the figures, feature importances, a signature and an input example. scikit-learn models are saved
with skops (safe loading) with their trusted types listed explicitly; every model lists its pip requirements
(:func:`model_environment`).

Promotion (:func:`promote`, rule in :func:`decide`): the best candidate of this training run (F1 for UWE >= 2 on
the held-out split, then mean per-class accuracy) takes the ``champion`` alias only if it beats the current
champion scored on the same split and, when a real check set is given (:mod:`pges.train.realcheck`), flags no
more than ``max_real_false_alarms`` of its clean real products; the runner-up gets ``challenger``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import sys
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from pges import __version__
from pges.qa.features import FEATURE_SET
from pges.qa.model_io import QUICK_TAG, THRESHOLD_TAGS  # a quick run never replaces a full run's champion
from pges.train.models import Fitted

__all__ = ["Candidate", "decide", "log_candidate", "model_environment", "open_tracking", "passes_real_check",
           "promote", "score_version", "tag_margins"]

logger = logging.getLogger(__name__)

EXPERIMENT = "sarlake-qa"
# MLflow's UI asks which kind an experiment without this tag is, and shows a model-training one as training runs
KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = {KIND_TAG: "custom_model_development"}


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
    from mlflow.environment_variables import MLFLOW_LOG_UV_FILES

    from pges.environment import mlflow_s3_environment

    mlflow.set_tracking_uri(tracking_uri)
    # Every model lists its pip requirements; MLflow 3 would also copy the working directory's uv project
    # (uv.lock, 550 kB here, and pyproject.toml) into each model it logs, which no scorer reads.
    os.environ.setdefault(MLFLOW_LOG_UV_FILES.name, "false")
    exp = mlflow.get_experiment_by_name(experiment)
    # s3:// artifacts through the PGE's S3 connection (SARLAKE_S3__*)
    mlflow_s3_environment(exp.artifact_location if exp is not None else artifact_root)
    if exp is None:
        location = Path(artifact_root).absolute().as_uri() if artifact_root and "://" not in artifact_root \
            else artifact_root
        return str(mlflow.create_experiment(experiment, artifact_location=location, tags=EXPERIMENT_KIND))
    if exp.tags.get(KIND_TAG) is None:
        mlflow.MlflowClient().set_experiment_tag(exp.experiment_id, KIND_TAG, EXPERIMENT_KIND[KIND_TAG])
    return str(exp.experiment_id)


def model_environment(pins: list[str]) -> dict[str, Any]:
    """The environment MLflow saves beside a model (``conda.yaml``, ``python_env.yaml``, ``requirements.txt``).

    Given to ``save_model``/``log_model`` as ``conda_env`` rather than ``pip_requirements``: from those MLflow builds
    this same environment (it adds its own pin) but also pins ``pip`` to the installed one, and the uv-made venv has
    no pip, so every model saved warned "Failed to resolve installed pip version" and got ``pip`` unpinned anyway.
    The files are the same byte for byte; no scorer reads them (skops, LiteRT, ``pges.qa.model_load``).
    """
    return {"name": "mlflow-env", "channels": ["conda-forge"],
            "dependencies": [f"python={platform.python_version()}", "pip", {"pip": list(pins)}]}


def _requirements(flavor: str) -> list[str]:
    names = ["numpy", "pandas", "scikit-learn", "skops"] if flavor == "sklearn" else ["numpy", "tensorflow-cpu",
                                                                                     "keras", "ai-edge-litert"]
    return [f"{n}=={version(n)}" for n in names]


def litert_extra(model: Any, folder: str) -> list[str] | None:
    """The Keras model converted for LiteRT, as MLflow ``extra_files`` (None, with a warning, if it fails).

    Scorers run the flatbuffer without importing TensorFlow (:mod:`pges.qa.litert`); without it they load
    the Keras model as before, only slower to start.
    """
    from pges.qa.litert import LITERT_FILE, to_litert

    try:
        return [str(to_litert(model, Path(folder) / LITERT_FILE))]
    except Exception as exc:  # noqa: BLE001 - the Keras model is still registered and scored through Keras
        logger.warning("could not convert the Keras model for LiteRT (%s): scorers will load it with TensorFlow",
                       exc)
        return None


def log_candidate(
    fitted: Fitted, x_example: Any, metrics: dict[str, float], figure_paths: dict[str, Path],
    *, experiment_id: str, model_name: str, data_version: str, dataset: dict[str, Any],
) -> Candidate:
    """Log one fitted model as an MLflow run and register it as a new version of ``model_name``."""
    import mlflow
    from mlflow.models import infer_signature

    # MLflow checks the input example by predicting it with the saved model: a Keras model's progress bars would
    # go to stdout, the PGE's result channel and the `sarlake qa train` summary
    with mlflow.start_run(experiment_id=experiment_id, run_name=fitted.name) as run, \
            contextlib.redirect_stdout(sys.stderr):
        mlflow.log_params({f"model.{k}": v for k, v in fitted.params.items()})
        mlflow.log_params({"model": fitted.name, "input_kind": fitted.input_kind, "feature_set": FEATURE_SET,
                           "class_threshold_uwe1": fitted.thresholds[0], "class_threshold_uwe3": fitted.thresholds[1],
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
        example = {k: v[:2] for k, v in x_example.items()} if isinstance(x_example, dict) else x_example[:2]
        signature = infer_signature(example, fitted.predict_proba(example))
        tags = {"sarlake.input_kind": fitted.input_kind, "sarlake.feature_set": FEATURE_SET,
                "sarlake.data_version": data_version,
                **{k: f"{t:.2f}" for k, t in zip(THRESHOLD_TAGS, fitted.thresholds, strict=True)}}
        if fitted.flavor == "sklearn":
            import mlflow.sklearn
            import skops.io

            trusted = skops.io.get_untrusted_types(data=skops.io.dumps(fitted.model))
            info = mlflow.sklearn.log_model(
                fitted.model, name="model", registered_model_name=model_name, signature=signature,
                input_example=example, conda_env=model_environment(_requirements("sklearn")),
                serialization_format="skops",
                skops_trusted_types=trusted, pyfunc_predict_fn="predict_proba",
            )
        elif fitted.flavor in ("average", "segmented"):
            import skops.io

            from pges.train.ensemble import log_average

            info = log_average(fitted, model_name=model_name, signature=signature, example=example,
                               requirements={"sklearn": _requirements("sklearn"), "keras": _requirements("keras")},
                               trusted=lambda m: skops.io.get_untrusted_types(data=skops.io.dumps(m)))
        else:
            import mlflow.tensorflow

            with tempfile.TemporaryDirectory(prefix="sarlake-litert-") as tmp:
                info = mlflow.tensorflow.log_model(
                    fitted.model, name="model", registered_model_name=model_name, signature=signature,
                    input_example=example, conda_env=model_environment(_requirements("keras")),
                    extra_files=litert_extra(fitted.model, tmp),
                )
        ver = str(info.registered_model_version)
        client = mlflow.MlflowClient()
        for k, v in tags.items():
            client.set_model_version_tag(model_name, ver, k, v)
        client.set_model_version_tag(model_name, ver, "sarlake.test_f1_uwe2", f"{metrics['test_f1_uwe2']:.4f}")
        logger.info("%s: run %s, %s version %s, F1(UWE>=2) %.3f", fitted.name, run.info.run_id, model_name, ver,
                    metrics["test_f1_uwe2"])
        return Candidate(fitted.name, run.info.run_id, ver, metrics)


def score_version(model_name: str, version_or_alias: str, *inputs: dict[str, Any]) -> list[np.ndarray]:
    """(n, 4) probabilities of a registered version (or alias) on each set of inputs, the model loaded once.

    Args:
        model_name: registered model.
        version_or_alias: ``"3"`` or ``"@champion"``.
        inputs: one or more dicts of input kind -> model input (see :func:`pges.qa.model_io.to_model_input`);
            each is scored on the input of the version's kind.
    """
    import mlflow

    client = mlflow.MlflowClient()
    if version_or_alias.startswith("@"):
        mv = client.get_model_version_by_alias(model_name, version_or_alias[1:])
    else:
        mv = client.get_model_version(model_name, version_or_alias)
    kind = mv.tags.get("sarlake.input_kind", "features")
    model = mlflow.pyfunc.load_model(f"models:/{model_name}/{mv.version}")
    with contextlib.redirect_stdout(sys.stderr):  # Keras's progress bar is not for stdout
        return [np.asarray(model.predict(one[kind]), dtype=np.float64) for one in inputs]


def passes_real_check(metrics: dict[str, float] | None, limit: float | None) -> bool:
    """Whether held-out ``metrics`` carry a real false-alarm share within ``limit`` (no check, no limit: True)."""
    share = (metrics or {}).get("real_false_alarm_share")
    return limit is None or share is None or not np.isfinite(share) or share <= limit


def decide(candidates: list[Candidate], champion_metrics: dict[str, float] | None, champion_version: str | None,
           max_real_false_alarms: float | None = None, *, smoke_over_full: bool = False) -> dict[str, Any]:
    """Who takes ``champion`` and ``challenger``, and why the others are held back (no MLflow calls).

    The rule: a candidate must pass the real check (``real_false_alarm_share`` <= ``max_real_false_alarms``,
    when both are known) and beat the current champion on the same held-out split (F1 for UWE >= 2, then mean
    per-class accuracy); of those that do, the best wins. A current champion that itself fails the real check
    (re-scored now) is not defended on the held-out split: any candidate passing the check may replace it. When
    no candidate passes and there is no comparable champion (none, or one of another feature set, which cannot
    score this feature set), the candidate with the fewest real false alarms takes ``champion`` so that scoring
    keeps working, and ``gate`` says that none passed.

    With ``smoke_over_full`` (a quick run's candidates against a champion of a full run) no alias moves: a smoke
    run's few scenes and epochs are no candidate for production, however its tiny held-out split ranks them.
    """
    limit = max_real_false_alarms
    ranked = sorted(candidates, key=lambda c: c.rank(), reverse=True)
    held_back: dict[str, str] = {}
    if smoke_over_full and champion_version is not None:
        return {"best_candidate": ranked[0].name, "best_version": ranked[0].version, "best_rank": ranked[0].rank(),
                "previous_champion": champion_version, "max_real_false_alarms": limit, "gate": "passed",
                "reason": f"version {champion_version} stays: a quick run never replaces the champion of a full run",
                "champion": str(champion_version), "challenger": None,
                "held_back": {c.version: f"{c.name}: a quick (smoke) run" for c in ranked}}

    def share(m: dict[str, float] | None) -> str:
        return f"{(m or {}).get('real_false_alarm_share', float('nan')):.2f}"

    passing = [c for c in ranked if passes_real_check(c.metrics, limit)]
    for c in ranked:
        if c not in passing:
            held_back[c.version] = f"{c.name}: real false-alarm share {share(c.metrics)} > limit {limit:.2f}"
    comparable = champion_version is not None and champion_metrics is not None
    champion_fails = comparable and not passes_real_check(champion_metrics, limit)
    champ_rank = rank_of(champion_metrics) if comparable and champion_metrics is not None else None
    eligible = [c for c in passing if champ_rank is None or champion_fails or c.rank() > champ_rank]
    for c in passing:
        if c not in eligible:
            held_back[c.version] = (f"{c.name}: does not beat version {champion_version} on the same held-out split "
                                    f"({_fmt(c.rank())} <= {_fmt(champ_rank)})")
    decision: dict[str, Any] = {"best_candidate": ranked[0].name, "best_version": ranked[0].version,
                                "best_rank": ranked[0].rank(), "previous_champion": champion_version,
                                "max_real_false_alarms": limit, "gate": "passed"}
    if eligible:
        new = eligible[0]
        for c in eligible[1:]:  # a tie keeps the candidates' order: the one registered first wins
            place = "tied with" if c.rank() == new.rank() else "ranked below"
            held_back[c.version] = f"{c.name}: {place} version {new.version} ({_fmt(c.rank())})"
        champion = new.version
        why = "no champion yet" if champion_version is None else (
            f"version {champion_version} is of another feature set" if not comparable else
            f"version {champion_version} fails the real check ({share(champion_metrics)} > {limit:.2f})"
            if champion_fails else f"beats version {champion_version} on the same split "
                                   f"({_fmt(new.rank())} > {_fmt(champ_rank)})")
        real = "" if limit is None else f"; real false-alarm share {share(new.metrics)} <= {limit:.2f}"
        decision["reason"] = f"{why}{real}"
        decision["champion_name"] = new.name
    elif comparable:
        champion = str(champion_version)
        decision["reason"] = f"version {champion_version} stays: no candidate passes the real check and beats it"
        if not passing:
            decision["gate"] = "none passed"
    else:
        new = min(ranked, key=lambda c: (c.metrics.get("real_false_alarm_share", 0.0), [-v for v in c.rank()]))
        champion = new.version
        held_back.pop(new.version, None)
        decision["gate"] = "none passed"
        decision["reason"] = (f"no candidate within the real false-alarm limit "
                              f"{limit if limit is None else f'{limit:.2f}'} and no comparable champion; it has "
                              f"the fewest real false alarms ({share(new.metrics)})")
    pool: list[tuple[bool, tuple[float, float], str]] = [
        (passes_real_check(c.metrics, limit), c.rank(), c.version) for c in ranked if c.version != champion]
    if comparable and champion_version != champion and champion_metrics is not None:
        pool.append((passes_real_check(champion_metrics, limit), rank_of(champion_metrics), str(champion_version)))
    decision["champion"] = champion
    decision["challenger"] = max(pool)[2] if pool else None
    decision["held_back"] = held_back
    return decision


def _fmt(rank: tuple[float, float] | None) -> str:
    return "-" if rank is None else f"F1 {rank[0]:.3f}, mean class accuracy {rank[1]:.3f}"


def promote(model_name: str, candidates: list[Candidate], champion_metrics: dict[str, float] | None,
            champion_version: str | None, max_real_false_alarms: float | None = None, *,
            quick: bool = False) -> dict[str, Any]:
    """Move ``champion``/``challenger`` by :func:`decide`; tag the champion with the decision and return it.

    Every candidate's version and run are tagged :data:`QUICK_TAG` (``true`` for a quick run); a quick run does
    not move the aliases when the champion is of a full run (a version without the tag counts as one).
    """
    import mlflow

    client = mlflow.MlflowClient()
    for c in candidates:
        client.set_model_version_tag(model_name, c.version, QUICK_TAG, str(quick).lower())
        client.set_tag(c.run_id, QUICK_TAG, str(quick).lower())
    champion_quick = champion_version is not None and client.get_model_version(
        model_name, champion_version).tags.get(QUICK_TAG) == "true"
    decision = decide(candidates, champion_metrics, champion_version, max_real_false_alarms,
                      smoke_over_full=quick and not champion_quick)
    if decision["champion"] != champion_version:
        client.set_registered_model_alias(model_name, "champion", decision["champion"])
    if decision["challenger"]:
        client.set_registered_model_alias(model_name, "challenger", decision["challenger"])
    client.set_model_version_tag(model_name, decision["champion"], "sarlake.promotion",
                                 json.dumps(decision, default=str)[:5000])
    for held, why in decision["held_back"].items():
        client.set_model_version_tag(model_name, held, "sarlake.held_back", why)
    logger.info("promotion: %s", decision)
    return decision


def tag_margins(model_name: str, decision: dict[str, Any]) -> None:
    """Tag the champion version with its paired margins (``sarlake.margins``, :func:`pges.train.champion.margins`)."""
    import mlflow

    if decision.get("margins"):
        mlflow.MlflowClient().set_model_version_tag(model_name, decision["champion"], "sarlake.margins",
                                                    json.dumps(decision["margins"], default=float)[:5000])
        logger.info("margins of champion %s: %s", decision["champion"], decision["margins"])


def scratch_dir() -> Path:
    """A temporary folder for figures before they are logged."""
    return Path(tempfile.mkdtemp(prefix="sarlake-train-"))
