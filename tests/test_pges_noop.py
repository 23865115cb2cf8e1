"""The noop PGE (the orchestration benchmark's): the PGE contract without science, and nothing left behind."""

from __future__ import annotations

import json
import subprocess
import sys


def test_noop_pge_returns_an_ok_result_with_no_product_and_refuses_parameters(sarlake_home, tmp_path):
    out, result = tmp_path / "out", tmp_path / "result.json"
    cfg = {"pge": "noop", "run_id": "r1", "inputs": [], "output_dir": str(out), "parameters": {}}
    cmd = [sys.executable, "-m", "pges", "noop", "--result-file", str(result), "--run-config-json"]
    proc = subprocess.run([*cmd, json.dumps(cfg)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    record = json.loads(result.read_text())
    assert (record["status"], record["exit_code"], record["products"], record["run_id"]) == ("ok", 0, [], "r1")
    assert not out.exists()  # published nothing
    scratch = sarlake_home / "scratch" / "pges"
    assert not scratch.exists() or not any(scratch.iterdir())  # staging removed
    bad = subprocess.run([*cmd, json.dumps({**cfg, "parameters": {"sleep": 1}})], capture_output=True, text=True)
    assert bad.returncode == 2 and "sleep" in bad.stderr
