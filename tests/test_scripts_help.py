"""Every script in scripts/ answers --help with its usage and does nothing else.

`scripts/analysts_guide.py --help` rewrote docs/analysts.md from whichever lake SARLAKE_HOME named (it read no
arguments), and `scripts/demo.py --help` ran the whole demo.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.name for p in (ROOT / "scripts").glob("*.py"))


def _tree_digest() -> str:
    """The docs as they are: what the guide and report scripts write when they run."""
    h = hashlib.sha256()
    for p in sorted((ROOT / "docs").rglob("*")):
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_prints_the_usage_and_writes_nothing(script, settings):
    before = _tree_digest()
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / script), "--help"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"usage: {script}")
    assert _tree_digest() == before
