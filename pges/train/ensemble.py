"""Equal-weight averages of QA models of different inputs: the ConvNet on phase tiles with a feature model or U-Net.

The members are fitted as usual; the average takes both inputs (model input kind ``features+tiles``: a dict of
the feature matrix and the tiles) and returns the mean of the members' class probabilities. No weight is fitted,
so the held-out split stays untouched by the averaging itself. In MLflow the average is a ``python_function`` model
whose artifacts are the members, each saved with its own flavour; the two-step U-Net model
(:mod:`pges.train.segmenter`) is logged the same way (:func:`log_average`), its config naming how to combine them,
and as a member of an average it is such a model folder inside the average's (a scorer loads it by the same rules).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pges.qa.model_io import (
    average_probabilities,
    member_input,  # noqa: F401 - average versions registered before read it here
)
from pges.train.models import Fitted

__all__ = ["Averaged", "Predictions", "average", "averages", "log_average"]

class Averaged:
    """The fitted members, averaged (in memory, for evaluation)."""

    classes_ = np.arange(4)

    def __init__(self, members: list[Fitted]) -> None:
        self.members = members

    def predict_proba(self, x: dict[str, Any]) -> np.ndarray:
        """Mean of the members' (n, 4) class probabilities."""
        return average_probabilities([(m.input_kind, m.predict_proba) for m in self.members], x)


def average(members: list[Fitted]) -> Fitted:
    """The equal-weight average of ``members`` as a candidate named after them (``convnet+ordinal_boosting``)."""
    params: dict[str, Any] = {"members": "+".join(m.name for m in members), "weights": "equal"}
    for m in members:
        params.update({f"{m.name}.{k}": v for k, v in m.params.items()})
    return Fitted("+".join(m.name for m in members), "features+tiles", "average", Averaged(members), params)


def averages(fitted: list[Fitted]) -> list[Fitted]:
    """The tile model averaged with each feature model and with the two-step U-Net model of one training run.

    Every pair is a candidate of its own, measured and promoted by the same rule as the single models (none without
    a tile model). The ConvNet reads the phase tile as a whole and the U-Net model the share of it a cycle off, and
    their average was the best of any pair of the shipped run's versions (docs/qa.md, "Two readings of the tile").
    """
    tiles = [f for f in fitted if f.input_kind == "tiles"]
    others = [f for f in fitted if f.input_kind == "features" or f.flavor == "segmented"]
    return [average([t, f]) for t in tiles for f in others]


class Predictions:
    """Each candidate's (n, 4) probabilities on one evaluation set, every model run on it once.

    An average (flavour ``average``) is the mean of its members' probabilities on the set, as
    :meth:`Averaged.predict_proba` computes it, taken from the members' own predictions rather than running the
    members again: a training run's evaluation predicts every single model before the averages that reuse them.
    """

    def __init__(self, inputs: Callable[[str], Any]) -> None:
        """``inputs(kind)`` is the set's model input of that kind (``pges.qa.model_io.to_model_input``)."""
        self.inputs = inputs
        self.known: dict[str, np.ndarray] = {}

    def __call__(self, fitted: Fitted) -> np.ndarray:
        """``fitted``'s class probabilities on the set (computed once per model name)."""
        if fitted.name not in self.known:
            if fitted.flavor == "average":
                self.known[fitted.name] = np.mean([np.asarray(self(m), dtype=np.float64)
                                                   for m in fitted.model.members], axis=0)
            else:
                self.known[fitted.name] = fitted.predict_proba(self.inputs(fitted.input_kind))
        return self.known[fitted.name]


def _pyfunc_class() -> Any:
    """The pyfunc class of a combined model."""
    import mlflow.pyfunc

    class AveragedPyfunc(mlflow.pyfunc.PythonModel):  # type: ignore[misc,name-defined]
        """The scorer's model of several members (``pges.qa.model_load.combined``), loaded as the scorer does."""

        # Its input is a dict of named tensors, which MLflow's type-hint schemas cannot describe (a hint other than
        # list[...] is refused, and no hint is warned about when the class is made): the logged tensor signature
        # validates the input instead, and this is MLflow's switch for a PythonModel whose predict has no such hint.
        _skip_type_hint_validation = True

        def load_context(self, context: Any) -> None:
            from pges.qa.model_load import combined, load_local

            self.model = combined([(kind, load_local(Path(context.artifacts[key])))
                                   for key, kind in context.model_config["members"]],
                                  context.model_config.get("combine"))

        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]  # no hints: above
            """(n, 4) class probabilities."""
            return self.model.predict(model_input)

    return AveragedPyfunc


def log_average(fitted: Fitted, *, model_name: str, signature: Any, example: Any,
                requirements: dict[str, list[str]], trusted: Any) -> Any:
    """Save the members, log the model as the run's ``model`` and register it; returns MLflow's model info.

    ``fitted`` is an average (flavour ``average``) or a U-Net with its classifier (``segmented``,
    :class:`pges.train.segmenter.Segmented`).
    """
    import mlflow.pyfunc

    from pges.train.tracking import model_environment

    with tempfile.TemporaryDirectory(prefix="sarlake-average-") as tmp:
        artifacts, config, pins = _save_parts(fitted, Path(tmp), requirements, trusted)
        return mlflow.pyfunc.log_model(
            name="model", python_model=_pyfunc_class()(), artifacts=artifacts, model_config=config,
            signature=signature, input_example=example, conda_env=model_environment(sorted(pins)),
            registered_model_name=model_name,
        )


def _parts(fitted: Fitted) -> tuple[list[tuple[str, str, Any]], dict[str, str]]:
    """``(input kind, flavour, model)`` of each part of a combined model, and its pyfunc config's ``combine``.

    A part of flavour ``segmented`` (the two-step model as an average's member) is its ``Fitted``: it is saved as
    a combined model of its own.
    """
    from pges.qa.segmentation import COMBINE

    if fitted.flavor == "segmented":
        return [("tiles", "keras", fitted.model.unet),
                ("features+summaries", "sklearn", fitted.model.classifier)], {"combine": COMBINE}
    return [(m.input_kind, m.flavor, m if m.flavor == "segmented" else m.model) for m in fitted.model.members], {}


def _save_parts(fitted: Fitted, tmp: Path, requirements: dict[str, list[str]],
                trusted: Any) -> tuple[dict[str, str], dict[str, Any], set[str]]:
    """Each part saved in ``tmp`` with its own flavour: the pyfunc's artifacts, its config and the pins of all."""
    import mlflow.pyfunc
    import mlflow.sklearn
    import mlflow.tensorflow

    from pges.train.tracking import litert_extra, model_environment

    parts, combine = _parts(fitted)
    artifacts, config, pins = {}, [], set()
    for i, (kind, flavor, model) in enumerate(parts):
        path = str(tmp / f"member{i}")
        if flavor == "segmented":  # a pyfunc folder of its own parts, loaded by the same rules
            inner, inner_config, inner_pins = _save_parts(model, tmp / f"parts{i}", requirements, trusted)
            mlflow.pyfunc.save_model(path, python_model=_pyfunc_class()(), artifacts=inner,
                                     model_config=inner_config, conda_env=model_environment(sorted(inner_pins)))
            pins.update(inner_pins)
        elif flavor == "sklearn":
            mlflow.sklearn.save_model(model, path, serialization_format="skops",
                                      skops_trusted_types=trusted(model), pyfunc_predict_fn="predict_proba",
                                      conda_env=model_environment(requirements["sklearn"]))
            pins.update(requirements["sklearn"])
        else:
            converted = tmp / f"litert{i}"
            converted.mkdir(parents=True)
            mlflow.tensorflow.save_model(model, path, conda_env=model_environment(requirements["keras"]),
                                         extra_files=litert_extra(model, str(converted)))
            pins.update(requirements["keras"])
        artifacts[f"member{i}"] = path
        config.append([f"member{i}", kind])
    return artifacts, {"members": config, **combine}, pins
