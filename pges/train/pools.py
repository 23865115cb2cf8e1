"""Worker processes for simulating training data: fresh interpreters (``spawn``), never forked from the caller.

A forked worker inherits the caller's TensorFlow runtime without its threads. Measured on 2026-12-06: in a pytest
worker where earlier tests had run TensorFlow, the two workers of ``build_training_set(80, workers=2)`` segfaulted
in ``tensorflow::data::BackgroundWorker::~BackgroundWorker`` (a ``CondVar::Signal`` on a thread that was not
forked) and spun in the signal handler, so the run hung at 83 % CPU per worker for 17 minutes until killed (gdb
backtrace). Spawned workers start a new interpreter, which imports what the work needs. Not ``forkserver``: its
server is process-wide and listens on a socket in the temporary folder, which a PGE run's scratch (``TMPDIR``)
deletes under it, and the next pool of the same process then fails (seen in the same test).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

__all__ = ["process_pool"]


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes that share nothing with this one's libraries' threads."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
