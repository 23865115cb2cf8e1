"""``python -m pges.batch``: run one PGE on several run-configs in one process (small runs, one task).

::

    python -m pges.batch <name> --result-file FILE RUN_CONFIG [RUN_CONFIG ...]

Each run-config is an ordinary run of ``python -m pges <name> --run-config RUN_CONFIG``: its own staging
folder, products, provenance (``run_id``, ``started_at``, inputs) and result record; only the interpreter
start and the imports are shared. The combined result file holds every run's record under ``runs`` and all
products under ``products``. Exit code: 1 when any run failed in processing (a retry re-runs the batch; the
products already published are kept, not remade), else 2 when any run rejected its input (never retried),
else 0. A failing run never stops the others.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["combine", "main"]


def combine(name: str, runs: list[dict[str, Any]], codes: list[int]) -> tuple[dict[str, Any], int]:
    """The batch's result record and exit code from each run's result and exit code."""
    code = 1 if 1 in codes or any(c not in (0, 2) for c in codes) else (2 if 2 in codes else 0)
    failed = [r for r in runs if r.get("status") != "ok"]
    result: dict[str, Any] = {
        "pge": name,
        "status": "ok" if code == 0 else "failed",
        "exit_code": code,
        "products": [p for r in runs for p in r.get("products", [])],
        "runs": runs,
    }
    if failed:
        first = failed[0].get("error") or {}
        result["error"] = {"code": first.get("code"), "message": f"{len(failed)} of {len(runs)} runs failed; first: "
                           f"{first.get('message')}"}
    return result, code


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the batch's exit code (see the module docstring)."""
    from pges.cli import main as run_one

    parser = argparse.ArgumentParser(prog="python -m pges.batch", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="PGE to run on every run-config")
    parser.add_argument("run_configs", nargs="+", metavar="RUN_CONFIG")
    parser.add_argument("--result-file", required=True, metavar="FILE")
    args = parser.parse_args(argv)
    runs, codes = [], []
    with tempfile.TemporaryDirectory(prefix="pges-batch-") as tmp:
        for k, cfg in enumerate(args.run_configs):
            result_file = Path(tmp) / f"{k}.json"
            try:
                code = run_one([args.name, "--run-config", cfg, "--result-file", str(result_file)])
            except Exception:  # noqa: BLE001 - one run's crash must not stop the others
                code = 1
            record = json.loads(result_file.read_text()) if result_file.exists() else {
                "status": "failed", "exit_code": code, "products": [],
                "error": {"code": "PROCESSING_ERROR", "message": f"{cfg}: no result written (exit {code})"}}
            record["run_config"] = cfg
            runs.append(record)
            codes.append(code)
    result, code = combine(args.name, runs, codes)
    Path(args.result_file).parent.mkdir(parents=True, exist_ok=True)
    Path(args.result_file).write_text(json.dumps(result, indent=2) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
