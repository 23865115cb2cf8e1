"""What killed runs leave behind, removed by the next run.

A PGE killed by the orchestrator (SIGKILL, an evicted pod, a lost node) cannot clean up after itself. Each
run therefore marks its staging folder with its host and process id, and every run first removes the
staging folders of processes that no longer exist on this host, and the hidden ``.<product>.partial-*`` /
``.<product>.old-*`` folders an interrupted publish left in the output folder once they are older than an
hour (a publish in progress elsewhere renames its own within seconds). Temporary files of the libraries a
PGE calls (SNAPHU's among them) go to ``<staging>/tmp`` during the run, so they leave with the staging folder.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from pathlib import Path

__all__ = ["OWNER_FILE", "claim", "sweep_partials", "sweep_staging"]

logger = logging.getLogger(__name__)

#: file in a staging folder naming the host and process that own it
OWNER_FILE = ".owner"
#: a staging folder without an owner file is left alone until it is this old (seconds)
UNOWNED_AGE_S = 24 * 3600.0
#: hidden partial/old folders of a publish are removed once they are this old (seconds)
PARTIAL_AGE_S = 3600.0


def claim(workdir: Path) -> None:
    """Mark ``workdir`` as owned by this process on this host."""
    (workdir / OWNER_FILE).write_text(f"{socket.gethostname()} {os.getpid()}\n")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _orphaned(folder: Path, now: float) -> bool:
    try:
        host, pid = (folder / OWNER_FILE).read_text().split()
    except (OSError, ValueError):
        return now - folder.stat().st_mtime > UNOWNED_AGE_S
    return host == socket.gethostname() and not _alive(int(pid))


def sweep_staging(root: Path, keep: Path | None = None) -> list[str]:
    """Remove the staging folders under ``root`` whose process is gone; return what was removed."""
    removed: list[str] = []
    now = time.time()
    for folder in sorted(root.glob("pge-*")):
        if folder == keep or not folder.is_dir():
            continue
        try:
            if _orphaned(folder, now):
                shutil.rmtree(folder)
                removed.append(str(folder))
        except OSError as exc:  # another run may be removing it right now
            logger.debug("left %s: %s", folder, exc)
    if removed:
        logger.warning("removed %d staging folder(s) of killed runs under %s", len(removed), root)
    return removed


def sweep_partials(base: Path, min_age_s: float = PARTIAL_AGE_S) -> list[str]:
    """Remove hidden partial/old product folders older than ``min_age_s`` in ``base``; return them."""
    removed: list[str] = []
    now = time.time()
    for pattern in (".*.partial-*", ".*.old-*"):
        for folder in sorted(base.glob(pattern)):
            try:
                if folder.is_dir() and now - folder.stat().st_mtime > min_age_s:
                    shutil.rmtree(folder)
                    removed.append(str(folder))
            except OSError as exc:
                logger.debug("left %s: %s", folder, exc)
    if removed:
        logger.warning("removed %d interrupted publish folder(s) in %s", len(removed), base)
    return removed
