"""``python -m pges.batch``: the batch's exit code routes the task as one run's would; every run's record kept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pges.batch import combine

ROOT = Path(__file__).resolve().parents[1]


def _run(status, code, pid=None):
    rec = {"status": status, "exit_code": code, "products": [{"id": pid, "met_uri": f"file:///{pid}"}] if pid else []}
    if status != "ok":
        rec["error"] = {"code": "INVALID_INPUT" if code == 2 else "PROCESSING_ERROR", "message": f"bad {code}"}
    return rec


@pytest.mark.parametrize(("codes", "expected"), [
    ([0, 0], 0), ([0, 2], 2), ([2, 2], 2), ([0, 1], 1), ([2, 1], 1), ([1, 0, 2], 1), ([0, 137], 1),
])
def test_exit_code_is_processing_failure_first_then_invalid_input(codes, expected):
    runs = [_run("ok" if c == 0 else "failed", c, f"p{k}" if c == 0 else None) for k, c in enumerate(codes)]
    result, code = combine("interferogram", runs, codes)
    assert code == expected
    assert result["exit_code"] == expected
    assert [p["id"] for p in result["products"]] == [f"p{k}" for k, c in enumerate(codes) if c == 0]
    assert result["runs"] == runs
    if expected:
        assert result["error"]["message"].startswith(f"{sum(c != 0 for c in codes)} of {len(codes)} runs failed")


def test_cli_runs_every_config_and_writes_one_result(tmp_path):
    """Two run-configs through the real CLI, each naming inputs that do not exist (exit 2): the first does not
    stop the second, each keeps its own error, and the batch exits 2 (invalid input, not retried)."""
    bad_input = tmp_path / "a.json"
    bad_input.write_text(json.dumps({"pge": "interferogram", "inputs": [str(tmp_path / "nope1"),
                                                                        str(tmp_path / "nope2")],
                                     "output_dir": str(tmp_path / "out"), "parameters": {}}))
    result_file = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, "-m", "pges.batch", "interferogram", "--result-file", str(result_file),
                           str(bad_input), str(bad_input)], capture_output=True, text=True, cwd=ROOT)
    result = json.loads(result_file.read_text())
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert [r["exit_code"] for r in result["runs"]] == [2, 2]
    assert "nope1" in result["runs"][0]["error"]["message"]
    assert result["error"]["message"].startswith("2 of 2 runs failed")


def test_batch_label_spans_its_runs():
    from sarlake_plugins.pge import pge_label

    cfgs = [{"inputs": [f"s3://a/S1_A044_{d1}T000000_x", f"s3://a/S1_A044_{d2}T000000_x"]}
            for d1, d2 in (("20240101", "20240113"), ("20240113", "20240125"))]
    assert pge_label("interferogram", cfgs) == "A044 20240101_20240113 .. A044 20240113_20240125 (2 runs)"
    assert pge_label("interferogram", cfgs[:1]) == "A044 20240101_20240113"
