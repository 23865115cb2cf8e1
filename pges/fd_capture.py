"""Capture what C code and child binaries write on a file descriptor (1 or 2), which Python's redirects miss.

SNAPHU writes its progress on descriptor 1, the PGE's result channel; LiteRT's runtime its notes on 2.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["captured_fd"]


@contextmanager
def captured_fd(fd: int, lines: list[str]) -> Iterator[None]:
    """Send descriptor ``fd`` to a temporary file inside the block; its lines land in ``lines`` when it ends."""
    (sys.stdout if fd == 1 else sys.stderr).flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as out:
        try:
            os.dup2(out.fileno(), fd)
            yield
        finally:
            (sys.stdout if fd == 1 else sys.stderr).flush()
            os.dup2(saved, fd)
            os.close(saved)
            out.seek(0)
            lines.extend(out.read().decode("utf-8", "replace").splitlines())
