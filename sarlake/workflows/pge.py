"""Run a PGE in this process through its contract (validation, staging, met.json), as the CLI workflows do."""

from __future__ import annotations

from typing import Any

__all__ = ["run_pge"]


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
