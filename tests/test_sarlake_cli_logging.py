"""A command's one-line error is not buried under MLflow's own INFO lines, which `-v` still shows.

MLflow configures its loggers at INFO when it is imported, and says "Creating initial MLflow database tables..."
on a new registry: run as a user does (the console script, in a new process), since this test process may have
imported MLflow already."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SYDNEY = Path(__file__).parent / "data" / "envisat_sydney_roipac" / "roipac_unw" / "geo_060619-061002.unw"


def _score(home: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SARLAKE_", "MLFLOW_"))}
    env["SARLAKE_HOME"] = str(home)
    return subprocess.run([str(Path(sys.executable).parent / "sarlake"), *flags, "qa", "score", str(SYDNEY)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)


def test_without_a_champion_the_error_is_the_only_line_unless_verbose(tmp_path) -> None:
    quiet = _score(tmp_path / "quiet")
    assert quiet.returncode == 2
    assert quiet.stderr.strip().splitlines() == [quiet.stderr.strip()], quiet.stderr
    assert quiet.stderr.startswith("error: no 'champion' version of the QA model")

    verbose = _score(tmp_path / "verbose", "-v")
    assert verbose.returncode == 2
    assert "Creating initial MLflow database tables" in verbose.stderr
    assert "error: no 'champion' version of the QA model" in verbose.stderr
