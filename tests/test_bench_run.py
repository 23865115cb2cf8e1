"""bench/run.py: a run of some benchmarks never replaces the whole record (docs/benchmarks.md) with its few sections.

Truth: the files on disk after each run; no benchmark module is run (``--only`` names none that exists).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "bench" / "run.py"


def test_a_partial_run_writes_only_where_output_says(tmp_path):
    (tmp_path / "docs").mkdir()
    record = tmp_path / "docs" / "benchmarks.md"
    record.write_text("# Benchmarks\n\n## lake (1 s)\n\nkept\n")
    out = subprocess.run([sys.executable, str(RUN), "--only", "bench_none"], cwd=tmp_path, capture_output=True,
                         text=True, check=True)
    assert "not written" in out.stdout
    assert record.read_text() == "# Benchmarks\n\n## lake (1 s)\n\nkept\n"

    subprocess.run([sys.executable, str(RUN), "--only", "bench_none", "--output", "part.md"], cwd=tmp_path,
                   capture_output=True, text=True, check=True)
    assert (tmp_path / "part.md").read_text().startswith("# Benchmarks")
    assert record.read_text().endswith("kept\n")
