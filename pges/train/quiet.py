"""Keep file descriptor 1, the PGE's result channel, clean while the QA PGEs simulate thousands of products.

SNAPHU's own output already goes to stderr (``pges.interferogram.unwrap``); this drops whatever else a library or
a worker process forked inside the block writes on descriptor 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["quiet_stdout"]


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send what is written on file descriptor 1 inside the block to the null device."""
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
