"""`make bench` row set for the standing bad-input suite (the report itself is bench/bad_input_report.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def run() -> list[dict[str, object]]:
    """Run every bad-input case and return the tried / clear / unclear / traceback / accepted / lost rows."""
    path = Path(__file__).resolve().parent / "bad_input_report.py"
    spec = importlib.util.spec_from_file_location("bad_input_report", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run()  # type: ignore[no-any-return]
