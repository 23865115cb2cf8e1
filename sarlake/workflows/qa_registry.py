"""The QA model's registered versions as an ML engineer compares them: held-out figures, real check, aliases.

Read from the MLflow registry (``settings.qa_model_name``) and each version's training run, so ``sarlake qa report``
shows what promotion decided on even in a lake where no product is both tagged and scored yet.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["registered_versions"]

#: Run metrics shown per version (held-out split against the simulator's truth, by cause of error where the run
#: logged it, the real check, wrong cuts in its clean products: pges.train.realcuts, the second simulator:
#: pges.train.second_check, and scenes no set uses: pges.train.fresh_check).
METRICS = ("test_precision_uwe2", "test_recall_uwe2", "test_f1_uwe2", "test_accuracy_uwe0", "test_accuracy_uwe1",
           "test_accuracy_uwe2", "test_accuracy_uwe3", "test_roc_auc_uwe2", "test_cause_failure_class_accuracy",
           "test_cause_hidden_class_accuracy", "real_false_alarm_share", "real_cuts_f1_uwe2",
           "real_cuts_roc_auc_uwe2", "second_sim_f1_uwe2", "second_sim_roc_auc_uwe2", "test_mean_class_accuracy",
           "fresh_f1_uwe2", "fresh_mean_class_accuracy", "fresh_products")
#: 95 % intervals of the held-out and fresh-scene figures (a bootstrap over scenes, pges.train.intervals):
#: ``<metric>_low`` and ``_high`` of each; runs logged before them have none
INTERVALS = tuple(f"{split}_{m}_{end}" for split in ("test", "fresh") for m in ("f1_uwe2", "mean_class_accuracy",
                  *(f"accuracy_uwe{k}" for k in range(4))) for end in ("low", "high"))


def registered_versions() -> list[dict[str, Any]]:
    """Every version of the QA model, newest first: model, aliases, feature set, metrics, why held back.

    Returns:
        ``[{"version", "model", "aliases", "quick", "feature_set", "class_thresholds", "held_back", "margins",
        **METRICS, **INTERVALS}]`` (``quick`` for a quick (smoke) training run's version; a metric the run did
        not log is None; ``class_thresholds`` the ``(t1, t3)`` its scorers decide classes by,
        pges.qa.model_io.decide_class; ``margins`` a champion's paired leads when it was promoted,
        pges.train.champion.margins); an empty list when the model is not registered.

    Raises:
        ProcessingError: the registry did not answer (not "nothing registered": a retry may find it up).
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    from lake.settings import get_settings
    from pges.qa.model_io import QUICK_TAG, thresholds_from_tags
    from pges.qa.registry_access import is_not_found, unreachable

    settings = get_settings()
    try:
        client = mlflow.MlflowClient(tracking_uri=settings.mlflow_tracking_uri,
                                     registry_uri=settings.mlflow_tracking_uri)
        versions = client.search_model_versions(f"name = '{settings.qa_model_name}'")
        registered = client.get_registered_model(settings.qa_model_name) if versions else None
    except MlflowException as exc:
        if not is_not_found(exc):
            raise unreachable(exc, settings.mlflow_tracking_uri) from None
        return []
    except Exception as exc:  # the store's own driver (SQLAlchemy, psycopg2): the database did not answer
        raise unreachable(exc, settings.mlflow_tracking_uri) from None
    aliases: dict[str, list[str]] = {}
    for alias, version in (registered.aliases.items() if registered else ()):
        aliases.setdefault(str(version), []).append(alias)
    out = []
    for mv in sorted(versions, key=lambda v: int(v.version), reverse=True):
        run = client.get_run(mv.run_id) if mv.run_id else None
        metrics = dict(run.data.metrics) if run else {}
        accuracies = [metrics[f"test_accuracy_uwe{k}"] for k in range(4) if f"test_accuracy_uwe{k}" in metrics]
        if "test_mean_class_accuracy" not in metrics and len(accuracies) == 4:  # a run logged before it
            metrics["test_mean_class_accuracy"] = sum(accuracies) / 4
        out.append({"version": str(mv.version), "model": run.info.run_name if run else "",
                    "aliases": sorted(aliases.get(str(mv.version), [])),
                    "quick": mv.tags.get(QUICK_TAG) == "true",
                    "feature_set": mv.tags.get("sarlake.feature_set", ""),
                    "class_thresholds": list(thresholds_from_tags(mv.tags)),
                    "held_back": mv.tags.get("sarlake.held_back", ""),
                    "margins": json.loads(mv.tags.get("sarlake.margins") or "[]"),
                    **{k: metrics.get(k) for k in METRICS + INTERVALS}})
    return out
