"""A QA champion in seconds for DAG tests: a small random forest registered through the project's own MLflow code.

Fitted on seeded synthetic feature vectors, so its scores mean nothing: the tests that use it check that a
flow loads ``models:/<name>@champion`` and records its predictions, not the model's skill (training and
promotion on real labelled data are tests/test_sarlake_qa.py's job, and take minutes).
"""

from __future__ import annotations


def register_champion(seed: int = 0, thresholds: tuple[float, float] = (0.5, 0.5)) -> str:
    """Register a random forest as a new version of the QA model and point ``champion`` at it; return the version.

    ``thresholds`` are the version's class thresholds (``pges.qa.model_io.decide_class``).
    """
    import mlflow
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier

    from lake.settings import get_settings
    from pges.qa.features import FEATURE_NAMES
    from pges.train.models import Fitted
    from pges.train.tracking import log_candidate, open_tracking

    settings = get_settings()
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(80, len(FEATURE_NAMES)))
    y = np.arange(80) % 4
    params = {"n_estimators": 10, "random_state": seed}
    fitted = Fitted("random_forest", "features", "sklearn", RandomForestClassifier(**params).fit(x, y), params,
                    thresholds=thresholds)
    experiment = open_tracking(settings.mlflow_tracking_uri, settings.mlflow_artifact_root)
    candidate = log_candidate(fitted, x, {"test_f1_uwe2": 0.0}, {}, experiment_id=experiment,
                              model_name=settings.qa_model_name, data_version="0", dataset={"kind": "synthetic"})
    mlflow.MlflowClient().set_registered_model_alias(settings.qa_model_name, "champion", candidate.version)
    return candidate.version
