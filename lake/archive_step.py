"""What every step of the archive roll shares (:mod:`lake.archive_roll` runs them).

A step's report, the transfers waiting for it, a failed attempt's row, the threads for file work, the crash-test
failpoint, and where a version of a product goes at the archive (:func:`archive_location`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lake import storage
from lake.archive_transfers import Transfer, latest_transfers, record
from lake.settings import Settings, is_remote

__all__ = ["Known", "RollReport", "StepFailure", "archive_location", "fail", "failpoint", "in_own_folder",
           "io_threads", "run_each", "waiting_for"]

logger = logging.getLogger(__name__)


@dataclass
class RollReport:
    """What one step (or a whole roll) did: transfers moved on, failures, notes about messages."""

    moved: int = 0
    failed: int = 0
    notes: int = 0
    #: Wall-clock seconds the step took (in :func:`run_roll`, a pair recorded in one commit is timed on its
    #: first step and the second shows 0; ``select`` includes reading the transfers' states).
    seconds: float = 0.0

    def __iadd__(self, other: RollReport) -> RollReport:
        self.moved += other.moved
        self.failed += other.failed
        self.notes += other.notes
        self.seconds += other.seconds
        return self



@dataclass
class Known:
    """What :func:`run_roll` knows between its steps: every transfer's latest state, product types it read."""

    transfers: dict[str, Transfer]
    types: dict[str, str | None] = field(default_factory=dict)


def archive_location(product_type: str | None, product_id: str, settings: Settings, version: str | None = None) -> str:
    """The archive folder/prefix of one version of a product: ``<daac.root>/<type>/<product>-v<version>``.

    A DAAC keeps each version of a granule as its own: a product whose id does not end in its version (PGE ids
    end in ``-v0_1_0``; ingested, unwrapped and time-series ids do not) gets it appended, written as the PGE ids
    write it (dots as ``_``), so a new version (an ingest's ``--revision``) never overwrites the files of one the
    DAAC already acknowledged. Deliveries keep the folder they were made to (``archive_transfers.archive_uri``):
    products delivered before this rule stay in ``<type>/<product>``.
    """
    folder = product_id
    if version and not product_id.endswith(_version_suffix(version)):
        folder = product_id + _version_suffix(version)
    return storage.join(settings.daac.root, product_type or "unknown", folder)


def _version_suffix(version: str) -> str:
    """``-v0_1_0_2`` for ``0.1.0.2``: how PGE product ids end (``pges.interferogram.naming``)."""
    return "-v" + version.replace(".", "_")


def in_own_folder(t: Transfer) -> bool:
    """Whether ``t`` went to a folder of its version alone (:func:`archive_location`), sharing no other's files.

    Deliveries made before each version had its own folder shared their product's.
    """
    return (t.archive_uri or "").rstrip("/").endswith(_version_suffix(t.version or "1"))


def io_threads(settings: Settings) -> int:
    """Threads for the roll's file work: the ``daac.io_threads`` setting, else by where the files are."""
    if settings.daac.io_threads:
        return settings.daac.io_threads
    if is_remote(settings.daac.root) or is_remote(settings.products_root):
        return 8
    return max(2, os.cpu_count() or 2)


def failpoint(name: str) -> None:
    """Crash-test hook: ``SARLAKE_ROLL_FAILPOINT=<name>`` kills this process with SIGKILL at that point.

    Names: ``<step>:before-record`` (the step acted, nothing recorded yet) and ``copy:after-file`` (one file of
    a product copied, the next not).
    """
    if os.environ.get("SARLAKE_ROLL_FAILPOINT") == name:
        import signal

        logger.warning("failpoint %s: killing process %d", name, os.getpid())
        os.kill(os.getpid(), signal.SIGKILL)


def waiting_for(settings: Settings, step: str, known: Known | None = None) -> list[Transfer]:
    """Transfers whose latest recorded step is ``step`` (from ``known`` when the whole roll runs here)."""
    if known is None:
        return sorted(latest_transfers(settings, step).values(), key=lambda t: t.transfer_id)
    return sorted((t for t in known.transfers.values() if t.step == step), key=lambda t: t.transfer_id)


def fail(t: Transfer, failed_step: str, reason: str, settings: Settings, now: datetime,
          error_code: str | None = None) -> dict[str, Any]:
    """``t``'s ``failed`` row at ``failed_step``, with its back-off (doubling per attempt, capped)."""
    delay = settings.daac.retry_base_seconds * 2 ** (t.attempt - 1)
    logger.warning("transfer %s failed at %s: %s", t.transfer_id, failed_step, reason)
    return t.row("failed", reason=reason, error_code=error_code, failed_step=failed_step,
                 next_attempt_at=now + timedelta(seconds=min(delay, settings.daac.retry_max_seconds)))


def run_each(transfers: list[Transfer], one: Callable[[Transfer], tuple[dict[str, Any], bool]], step: str,
             settings: Settings) -> RollReport:
    """Apply ``one`` to every transfer on a few threads (I/O bound), then record all rows in one commit."""
    from concurrent.futures import ThreadPoolExecutor

    report = RollReport()
    if not transfers:
        return report
    with ThreadPoolExecutor(max_workers=io_threads(settings)) as pool:
        results = list(pool.map(one, transfers))
    for _, ok in results:
        report.moved += ok
        report.failed += not ok
    failpoint(f"{step}:before-record")
    record([row for row, _ in results], settings)
    return report


class StepFailure(Exception):
    """One transfer's step failed (recorded; the roll carries on with the others)."""
