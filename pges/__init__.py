"""Product generation executables (PGEs) of sarlake.

Each PGE is a CLI with a typed run-config (``python -m pges <name> --run-config FILE``); see
``docs/contracts.md`` for the invocation, exit codes, result file and product layout. This package never
imports Airflow, pyiceberg or DuckDB: it runs alone in a container or a subprocess.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
