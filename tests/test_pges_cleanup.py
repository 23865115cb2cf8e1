"""Nothing left behind: a run removes what killed runs left, and library temp files stay in its staging folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _leftover(root: Path, name: str, pid: int) -> Path:
    folder = root / name
    (folder / "tmp").mkdir(parents=True)
    (folder / "slc.tif").write_bytes(b"x" * 100_000)
    (folder / ".owner").write_text(f"{socket.gethostname()} {pid}\n")
    return folder


def _run(tmp_path: Path, run_fn):
    from pges.runner import execute

    cfg = SimpleNamespace(output_dir=str(tmp_path / "out"), run_id="r1", inputs=[], parameters=None)
    return execute("noop", cfg, run_fn)


def test_a_run_removes_the_staging_folders_of_killed_runs_only(sarlake_home: Path, tmp_path: Path) -> None:
    from pges.environment import scratch_root

    root = scratch_root()
    dead = _leftover(root, "pge-interferogram-killed1", _dead_pid())
    live = _leftover(root, "pge-interferogram-running", os.getpid())  # a run in progress: kept
    result = _run(tmp_path, lambda cfg, ctx: SimpleNamespace(products=[]))
    assert result["cleaned"] == [str(dead)]
    assert not dead.exists() and live.is_dir()
    assert [p.name for p in root.glob("pge-noop-*")] == []  # and its own staging folder is gone too


def test_library_temp_files_go_to_the_staging_folder(sarlake_home: Path, tmp_path: Path) -> None:
    seen = {}

    def run_fn(cfg, ctx):
        seen["tempdir"] = tempfile.gettempdir()
        seen["env"] = os.environ.get("TMPDIR")
        seen["workdir"] = ctx.workdir
        return SimpleNamespace(products=[])

    before = (tempfile.gettempdir(), os.environ.get("TMPDIR"))
    _run(tmp_path, run_fn)
    assert Path(seen["tempdir"]) == seen["workdir"] / "tmp" == Path(seen["env"])  # SNAPHU's temp folders too
    assert (tempfile.gettempdir(), os.environ.get("TMPDIR")) == before  # restored after the run
    assert not seen["workdir"].exists()


@pytest.mark.parametrize("age_s, removed", [(7200, True), (10, False)])
def test_publish_removes_old_partial_folders_of_interrupted_publishes(tmp_path: Path, age_s: float,
                                                                     removed: bool) -> None:
    from pges.storage import Publisher

    out = tmp_path / "out"
    partial = out / ".P1.partial-abcd1234"
    partial.mkdir(parents=True)
    (partial / "unw.tif").write_bytes(b"x")
    old = time.time() - age_s
    os.utime(partial, (old, old))
    staged = tmp_path / "staged" / "P2"
    staged.mkdir(parents=True)
    (staged / "P2.met.json").write_text("{}")
    Publisher(str(out)).publish("P2", staged)
    assert partial.exists() is not removed
    assert (out / "P2" / "P2.met.json").is_file()
