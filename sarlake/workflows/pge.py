"""Run a PGE in this process through its contract (validation, staging, met.json), as the CLI workflows do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = ["kept_ids", "manual_run_id", "run_pge"]


def manual_run_id(pge: str) -> str:
    """The run id of a PGE run outside Airflow: ``manual__<pge>__<UTC time to the microsecond>``.

    To the microsecond: provenance is keyed by product and run, so two runs in one second (an ingest, a
    ``products remove``, the same ingest again) would have shared a row and the second overwritten the first.
    """
    return f"manual__{pge}__{datetime.now(UTC):%Y%m%dT%H%M%S%f}"


def run_pge(name: str, run_config: dict[str, Any]) -> dict[str, Any]:
    """Validate ``run_config`` against the PGE's model, run it and return its result record.

    Raises:
        InputValidationError: the run-config is invalid (unknown key, bad value).
        ProcessingError: the PGE failed.
    """
    from pges import registry
    from pges.contract import parse_run_config
    from pges.runner import execute

    spec = registry.get(name)
    cfg = parse_run_config(spec.run_config_model(), run_config, pge=name)
    return execute(name, cfg, spec.run_function())


def kept_ids(results: Sequence[dict[str, Any] | None]) -> list[str]:
    """Ids of the products PGE results found already published and kept (``skipped``), not made again."""
    return [p["id"] for r in results if r for p in r.get("products") or [] if p.get("skipped")]
