"""Load a registered QA model version from a local copy of its MLflow artifacts, with the lightest runtime.

A registered version's artifacts never change, so a scorer keeps a copy per version (:func:`load_cached_model`)
and loads it without ``mlflow.pyfunc`` where it can (:func:`load_local`):

* a scikit-learn model saved in the skops format: skops, with the trusted types its MLmodel lists (what
  ``mlflow.sklearn`` does);
* a Keras model saved with its LiteRT conversion (:mod:`pges.qa.litert`): LiteRT, without importing TensorFlow;
* an average of models (:mod:`pges.train.ensemble`): each member loaded by these same rules, probabilities
  averaged (the registered average's own ``predict`` is this same :class:`AveragedModel`);
* a U-Net and its classifier (:mod:`pges.qa.segmentation`): both loaded by these rules (the U-Net by LiteRT);
* anything else (a Keras model registered before the conversion existed): ``mlflow.pyfunc``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from pges.qa.model_io import average_probabilities

__all__ = ["AveragedModel", "combined", "load_cached_model", "load_local"]

logger = logging.getLogger(__name__)


def load_cached_model(uri: str, tracking_uri: str, cache_dir: Path) -> Any:
    """A model version (``models:/<name>/<version>``) from ``cache_dir``, downloaded there the first time.

    The copy is keyed by registry and version (versions are immutable) and moved into place only when
    complete, so a crash mid-download never leaves a half copy that a later run would load.

    Returns:
        An object with ``predict(inputs) -> (n, 4) probabilities``.
    """
    import hashlib

    key = hashlib.sha256(f"{tracking_uri}|{uri}".encode()).hexdigest()[:16]
    local = cache_dir / f"{uri.removeprefix('models:/').replace('/', '-v')}-{key}"
    if not (local / "MLmodel").is_file():
        _download(uri, tracking_uri, cache_dir, local)
        logger.info("cached %s in %s", uri, local)
    return load_local(local)


def _download(uri: str, tracking_uri: str, cache_dir: Path, local: Path) -> None:
    import shutil
    import tempfile

    import mlflow.artifacts

    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".download-"))
    bar = os.environ.get("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR")
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"  # no progress bar in a CLI's --json output
    try:
        got = Path(mlflow.artifacts.download_artifacts(artifact_uri=_artifact_location(uri, tracking_uri),
                                                       dst_path=str(tmp), tracking_uri=tracking_uri))
        try:
            got.rename(local)
        except OSError:  # another process cached it meanwhile
            if not (local / "MLmodel").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if bar is None:
            os.environ.pop("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", None)
        else:
            os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = bar


def _artifact_location(uri: str, tracking_uri: str) -> str:
    """Where the artifacts of ``models:/<name>/<version>`` are, asked of the registry at ``tracking_uri``.

    MLflow resolves a ``models:/`` URI through its process-wide registry URI, not the ``tracking_uri`` that
    ``download_artifacts`` takes, so a caller that had not set it got "Registered Model ... not found" (and a
    ``mlflow.db`` in its working folder); the version's own artifact location needs neither.
    """
    import re

    from mlflow import MlflowClient

    m = re.fullmatch(r"models:/(.+)/(\d+)", uri)
    if m is None:
        return uri
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    return str(client.get_model_version_download_uri(m.group(1), m.group(2)))


class _SkopsModel:
    """A scikit-learn model saved by ``mlflow.sklearn`` in the skops format, called as its pyfunc would be."""

    def __init__(self, model: Any, predict_fn: str) -> None:
        self.model, self.predict_fn = model, predict_fn

    def predict(self, inputs: Any) -> Any:
        if not hasattr(self.model, "feature_names_in_") and hasattr(inputs, "to_numpy"):
            inputs = inputs.to_numpy()  # fitted on an array (a tensor signature): what pyfunc would pass
        return getattr(self.model, self.predict_fn)(inputs)


class AveragedModel:
    """An average of QA models (``features+tiles``), its members loaded by :func:`load_local`."""

    def __init__(self, members: list[tuple[str, Any]]) -> None:
        self.members = members  # (input kind, model)

    def predict(self, inputs: dict[str, Any]) -> np.ndarray:
        """Mean of the members' (n, 4) class probabilities."""
        return average_probabilities([(kind, m.predict) for kind, m in self.members], inputs)


def combined(members: list[tuple[str, Any]], combine: str | None) -> Any:
    """The model of several loaded ``(input kind, model)`` members: an average, or a U-Net then its classifier."""
    from pges.qa.segmentation import COMBINE, SegmentedModel

    if combine == COMBINE:
        (_, segmenter), (_, classifier) = members
        return SegmentedModel(segmenter, classifier)
    if combine:
        raise ValueError(f"unknown way {combine!r} to combine a model's members; this sarlake knows {COMBINE!r} and "
                         "averages: upgrade sarlake to score this model version")
    return AveragedModel(members)


def load_local(local: Path) -> Any:
    """The model in ``local`` (an MLflow model folder), loaded as the module docstring says."""
    import yaml

    from pges.qa.litert import LiteRTModel, litert_file

    meta = yaml.safe_load((local / "MLmodel").read_text())
    flavors = meta.get("flavors") or {}
    sk = flavors.get("sklearn") or {}
    if sk.get("serialization_format") == "skops":
        import skops.io

        model = skops.io.load(local / sk["pickled_model"], trusted=list(sk.get("skops_trusted_types") or []))
        return _SkopsModel(model, (flavors.get("python_function") or {}).get("predict_fn") or "predict")
    if (converted := litert_file(local, meta)) is not None:
        return LiteRTModel(converted)
    pyfunc = flavors.get("python_function") or {}
    members = (pyfunc.get("config") or {}).get("members")
    artifacts = pyfunc.get("artifacts") or {}
    if members and all(key in artifacts for key, _ in members):
        return combined([(kind, load_local(local / artifacts[key]["path"])) for key, kind in members],
                        (pyfunc.get("config") or {}).get("combine"))
    if "tensorflow" in flavors:
        quiet_keras()
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(str(local))


def quiet_keras() -> None:
    """TensorFlow's start-up notes and Keras's progress bar are not the user's business."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    keras.config.disable_interactive_logging()
