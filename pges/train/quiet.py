"""Quiet external binaries while the QA PGEs simulate: SNAPHU prints on file descriptor 1, the PGE's result channel."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["quiet_stdout"]


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence what external binaries (SNAPHU) print on file descriptor 1."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
