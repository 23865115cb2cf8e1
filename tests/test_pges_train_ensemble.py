"""The average of the ConvNet and a feature model: registered as one MLflow model, scored as the mean of its members.

The truth is each member's own probabilities, computed directly from the fitted members on the same inputs; the
registered average must return their mean through MLflow's loader and through the scorer's cached copy of it.
"""

from __future__ import annotations

import logging
from importlib.metadata import version
from pathlib import Path

import numpy as np
import yaml


def test_an_average_of_a_tile_and_a_feature_model_registers_and_scores_as_the_mean_of_its_members(settings, tmp_path):
    import mlflow
    import pandas as pd

    from pges.qa.features import FEATURE_NAMES, compute_features
    from pges.qa.images import phase_tile
    from pges.qa.model_io import p_error, to_model_input
    from pges.qa.score import ProductInputs, Scorer
    from pges.train.ensemble import averages
    from pges.train.models import fit_model
    from pges.train.tracking import log_candidate, open_tracking

    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:48, 0:48]
    island = (yy - 24) ** 2 + (xx - 24) ** 2 < 80
    products = [ProductInputs(f"p{i}", (rng.normal(0.05, 0.02) * xx + rng.normal(0, 0.3, xx.shape)
                                        + 6.3 * (i % 4 >= 2) * island).astype(np.float32),
                              coherence=rng.uniform(0.3, 1.0, xx.shape).astype(np.float32)) for i in range(40)]
    y = np.arange(40) % 4
    feats = np.stack([compute_features(p.unw, p.coherence).vector() for p in products])
    tiles = np.stack([phase_tile(p.unw, p.coherence) for p in products])
    forest = fit_model("random_forest", pd.DataFrame(feats, columns=list(FEATURE_NAMES)), y, quick=True)
    convnet = fit_model("convnet", to_model_input("tiles", feats, None, tiles), y, quick=True)
    (avg,) = averages([forest, convnet])
    assert avg.name == "convnet+random_forest" and avg.input_kind == "features+tiles"

    x = to_model_input("features+tiles", feats, None, tiles)
    expected = (forest.predict_proba(pd.DataFrame(feats, columns=list(FEATURE_NAMES)))
                + convnet.predict_proba(tiles)) / 2
    np.testing.assert_allclose(avg.predict_proba(x), expected, atol=1e-6)

    # MLflow's logger does not propagate to the root one that caplog reads: listen to its environment module itself
    environment_log: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: environment_log.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("mlflow.utils.environment").addHandler(handler)
    experiment = open_tracking(settings.mlflow_tracking_uri, settings.mlflow_artifact_root)
    # the kind MLflow's UI shows as training runs (its bundle's "custom_model_development"), not a GenAI app
    assert mlflow.get_experiment(experiment).tags.get("mlflow.experimentKind") == "custom_model_development"
    candidate = log_candidate(avg, x, {"test_f1_uwe2": 0.0}, {}, experiment_id=experiment,
                              model_name=settings.qa_model_name, data_version="0", dataset={"kind": "synthetic"})
    loaded = mlflow.pyfunc.load_model(f"models:/{settings.qa_model_name}/{candidate.version}")
    np.testing.assert_allclose(np.asarray(loaded.predict(x)), expected, atol=1e-5)
    # the model and its members carry their pip requirements, not the repository's uv project (MLflow 3 copies
    # uv.lock, 550 kB, from the working directory into every model folder it saves unless told not to)
    folder = Path(mlflow.artifacts.download_artifacts(f"models:/{settings.qa_model_name}/{candidate.version}"))
    assert (Path.cwd() / "uv.lock").exists(), "the check needs a uv project in the working directory"
    assert (folder / "requirements.txt").exists()
    assert not [p.relative_to(folder) for p in folder.rglob("*") if p.name in ("uv.lock", "pyproject.toml")]
    # the environment of the average and of each member: python, pip (unpinned: the uv-made venv has no pip) and the
    # pins of the installed packages; saving them warned "Failed to resolve installed pip version" once per model
    forest_only = log_candidate(forest, pd.DataFrame(feats, columns=list(FEATURE_NAMES)), {"test_f1_uwe2": 0.0}, {},
                                experiment_id=experiment, model_name=settings.qa_model_name, data_version="0",
                                dataset={"kind": "synthetic"})
    logging.getLogger("mlflow.utils.environment").removeHandler(handler)
    assert not [m for m in environment_log if "pip version" in m]
    sklearn_pins = {f"{n}=={version(n)}" for n in ("numpy", "pandas", "scikit-learn", "skops")}
    keras_pins = {f"{n}=={version(n)}" for n in ("numpy", "tensorflow-cpu", "keras", "ai-edge-litert")}
    single = Path(mlflow.artifacts.download_artifacts(f"models:/{settings.qa_model_name}/{forest_only.version}"))
    envs = {path.parent: yaml.safe_load(path.read_text())
            for path in [*folder.rglob("conda.yaml"), single / "conda.yaml"]}
    assert len(envs) == 4  # the average, its two members, the forest on its own
    for where, env in envs.items():
        python, pip, pip_list = env["dependencies"]
        assert python.startswith("python=") and pip == "pip", where
        assert pip_list["pip"][0] == f"mlflow=={version('mlflow')}", where
        assert set(pip_list["pip"][1:]) in (sklearn_pins, keras_pins, sklearn_pins | keras_pins), where
        assert (where / "requirements.txt").read_text().split() == pip_list["pip"], where

    mlflow.MlflowClient().set_registered_model_alias(settings.qa_model_name, "champion", candidate.version)
    scorer = Scorer(settings.mlflow_tracking_uri, settings.qa_model_name, cache_dir=tmp_path / "cache")
    assert scorer.input_kind == "features+tiles"
    records = scorer.score(products)
    np.testing.assert_allclose([r["p_error"] for r in records], p_error(expected)[0], atol=1e-3)


class _Counted:
    """A stand-in classifier with fixed probabilities that counts the rows it is asked to predict."""

    classes_ = np.arange(4)

    def __init__(self, proba: list[float]) -> None:
        self.proba, self.rows = np.asarray(proba), 0

    def predict_proba(self, x):  # type: ignore[no-untyped-def]
        n = len(x["features"]) if isinstance(x, dict) else len(x)
        self.rows += n
        return np.tile(self.proba, (n, 1))


def test_an_evaluation_predicts_each_member_once_and_averages_them_from_its_own_predictions():
    from pges.qa.features import FEATURE_NAMES
    from pges.qa.model_io import to_model_input
    from pges.train.ensemble import Predictions, averages
    from pges.train.models import Fitted

    feats, tiles = np.zeros((5, len(FEATURE_NAMES))), np.zeros((5, 8, 8, 2), dtype=np.float32)
    forest = Fitted("random_forest", "features", "sklearn", _Counted([0.6, 0.2, 0.1, 0.1]), {})
    boosting = Fitted("gradient_boosting", "features", "sklearn", _Counted([0.1, 0.1, 0.2, 0.6]), {})
    # the two-step U-Net model takes the features and the tiles (flavour "segmented")
    segmented = Fitted("unet_ordinal_boosting", "features+tiles", "segmented", _Counted([0.25, 0.25, 0.25, 0.25]), {})
    convnet = Fitted("convnet", "tiles", "sklearn", _Counted([0.0, 0.2, 0.4, 0.4]), {})
    singles = [forest, boosting, segmented, convnet]
    x = {kind: to_model_input(kind, feats, None, tiles) for kind in ("features", "tiles", "features+tiles")}

    predictions = Predictions(x.__getitem__)
    got = {f.name: predictions(f) for f in singles + averages(singles)}

    assert [f.model.rows for f in singles] == [5, 5, 5, 5]  # each member once, however many averages it is in
    np.testing.assert_allclose(got["convnet+random_forest"], np.tile([0.3, 0.2, 0.25, 0.25], (5, 1)))
    np.testing.assert_allclose(got["convnet+gradient_boosting"], np.tile([0.05, 0.15, 0.3, 0.5], (5, 1)))
    np.testing.assert_allclose(got["convnet+unet_ordinal_boosting"], np.tile([0.125, 0.225, 0.325, 0.325], (5, 1)))
