"""Task bodies of the ``archive_roll``, ``archive_restore`` and ``maintenance`` DAGs (thin: the work is in ``lake``).

Where Airflow talks to AWS (the ``sns_sqs`` CNM transport), the SNS and SQS clients come from the Amazon
provider's hooks on the connection ``SARLAKE_DAAC__AWS_CONN_ID``, so credentials live in Airflow's
connection store; elsewhere the lake's own transport is used (the folder outbox/inbox by default).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

__all__ = ["compact_tables", "expire_cache", "expire_data_docs", "expire_reports", "maintain_tables", "restore",
           "roll_step", "simulated_daac", "transport"]

logger = logging.getLogger(__name__)


def transport() -> Any:
    """The CNM transport for a task: SNS/SQS through the Amazon provider's hooks, or the lake's default."""
    from lake.cnm_transport import SnsSqsTransport, get_transport
    from lake.settings import get_settings

    settings = get_settings()
    daac = settings.daac
    if daac.transport != "sns_sqs":
        return get_transport(settings)
    from airflow.providers.amazon.aws.hooks.sns import SnsHook
    from airflow.providers.amazon.aws.hooks.sqs import SqsHook

    return SnsSqsTransport(daac.sns_topic_arn, daac.sqs_queue_url, SnsHook(aws_conn_id=daac.aws_conn_id).get_conn(),
                           SqsHook(aws_conn_id=daac.aws_conn_id).get_conn())


def roll_step(step: str, hot_retention_days: float | None = None) -> dict[str, float]:
    """Run one roll step; fails the task (so Airflow retries with back-off) only on an unexpected error.

    ``hot_retention_days`` (the DAG's Param) overrides ``SARLAKE_DAAC__HOT_RETENTION_DAYS`` for this run.

    Raises:
        AirflowSkipException: the step recorded nothing (no transfer moved on or failed, no message note). A
            skipped task sends no Asset event, so the DAGs scheduled on ``archive_transfers`` or ``products``
            (the catalogue, qa, the gate) do not run after a daily roll that had nothing to do.
    """
    from airflow.sdk.exceptions import AirflowSkipException

    from lake.archive_roll import run_step
    from lake.settings import get_settings

    settings = get_settings()
    if hot_retention_days is not None:
        daac = settings.daac.model_copy(update={"hot_retention_days": float(hot_retention_days)})
        settings = settings.model_copy(update={"daac": daac})
    report = run_step(step, settings, transport=transport() if step in ("notify", "receive") else None)
    logger.info("archive roll %s: %s", step, report)
    if not (report.moved or report.failed or report.notes):
        raise AirflowSkipException(f"archive roll {step}: nothing to record (no transfer moved on or failed)")
    return dataclasses.asdict(report)


def simulated_daac(enabled: bool, fail_rate: float) -> dict[str, Any]:
    """Answer the outbox like a DAAC (demo and tests; off in production)."""
    if not enabled:
        return {"skipped": True}
    from lake.settings import get_settings
    from sarlake.workflows.daac_simulator import SimulatedDaac

    settings = get_settings()
    answer = SimulatedDaac(settings.home / "daac" / "simulator", settings, fail_rate=fail_rate).serve_folder()
    return dataclasses.asdict(answer)


def expire_cache() -> list[str]:
    """Evict cached products whose time to live has passed.

    Raises:
        AirflowSkipException: none was due (no ``products`` event, as for :func:`roll_step`).
    """
    from airflow.sdk.exceptions import AirflowSkipException

    from lake.archive_cache import expire_cache as _expire

    evicted = _expire().done
    if not evicted:
        raise AirflowSkipException("no restored product's time to live has passed")
    return evicted


def maintain_tables(older_than_days: float | None = None, retain_last: int | None = None) -> list[dict[str, Any]]:
    """Expire snapshots and delete orphan files of every lake table.

    Retention comes from ``SARLAKE_MAINTENANCE__*`` (:class:`lake.settings.MaintenanceSettings`); arguments
    that are given (the DAG's Params) override it for this run (:mod:`sarlake.workflows.maintenance`).
    """
    from sarlake.workflows.maintenance import maintain_tables as run

    return [dataclasses.asdict(r) for r in run(older_than_days=older_than_days, retain_last=retain_last)]


def expire_reports(older_than_days: float | None = None) -> dict[str, Any]:
    """Delete the ``QA_SCORES`` reports older than their retention (the Param, else the setting)."""
    from sarlake.workflows.maintenance import expire_reports as run

    return dataclasses.asdict(run(older_than_days)[0])


def expire_data_docs(older_than_days: float | None = None) -> dict[str, Any]:
    """Delete the quality gate's validation results (and Data Docs pages) older than the Param, else the setting."""
    from sarlake.workflows.maintenance import expire_data_docs as run

    return dataclasses.asdict(run(older_than_days)[0])


def compact_tables(small_mb: float | None = None, min_files: int | None = None) -> list[dict[str, Any]]:
    """Merge the small files of every lake table's partitions (sizes from settings unless overridden)."""
    from sarlake.workflows.maintenance import compact_tables as run

    return [dataclasses.asdict(r) for r in run(small_mb, min_files)]


def restore(product_ids: list[str], ttl_days: float | None) -> dict[str, Any]:
    """Bring archived products back to the hot lake (``lake.archive_cache.restore``); fail if none could be."""
    from datetime import timedelta

    from airflow.sdk.exceptions import AirflowFailException

    from lake.archive_cache import restore as _restore
    from lake.exceptions import LakeError

    if not product_ids:
        raise AirflowFailException("archive_restore: no product_ids given; trigger with "
                                   '{"product_ids": ["<product id>", ...]}')
    try:
        result = _restore(list(product_ids), timedelta(days=ttl_days) if ttl_days else None)
    except LakeError as exc:
        raise AirflowFailException(str(exc)) from None
    if not result.done and result.skipped:
        raise AirflowFailException("nothing restored: " + "; ".join(f"{p}: {why}" for p, why in result.skipped.items()))
    return {"restored": result.done, "skipped": result.skipped}
