"""Roll products from the hot lake to the DAAC archive: copy, verify, notify (CNM-S), hear back (CNM-R), expire.

Each step works on every transfer waiting for it and records its outcome for all of them in one commit of
``archive_transfers`` (so a run of 1,000 products makes a handful of commits, not thousands):

=============  ==========================================================================================
``select``     products older than the hot retention, hot, not quarantined, without an open transfer (or
               whose last attempt failed and whose back-off has passed) -> a new transfer
``copy``       copy every file of the hot product folder to ``<daac.root>/<type>/<product>-v<version>/`` (one
               folder per version: :func:`archive_location`), hashing as it reads; a file whose sha256
               differs from its catalogued one is a failure
``verify``     read the archive copies back: size and sha256 must match
``notify``     send one CNM-S per transfer (the transfer id is the CNM identifier)
``receive``    read CNM-R messages: SUCCESS -> acknowledged; FAILURE -> failed with the DAAC's error code and
               a back-off, its archive copy deleted; unknown or malformed messages are recorded as notes and
               acknowledged
``catalogue``  point the product's ``uri``/``met_uri`` at the archive and set ``tier = 'archive'``
``expire``     delete the hot copy
=============  ==========================================================================================

Every step is idempotent (copies rewrite the same bytes, the CNM file or FIFO message of one identifier is
the same, deletes of deleted files do nothing), and a step only acts on transfers whose recorded state is
the one before it, so a roll killed anywhere is completed by running it again. The hot copy is deleted only
after the DAAC said SUCCESS and the catalogue points at the archive.

:func:`run_step` (one DAG task, its own process) reads the transfers' states from ``archive_transfers``.
:func:`run_roll` (every step in one process: the CLI, the benchmark) reads them once and carries them from
step to step in memory (a step updates the states of the transfers it recorded), and it records two pairs of
steps in one commit each: ``copied`` + ``verified`` (each transfer is verified right after it is copied), and
``catalogued`` + ``hot_deleted`` (the hot copy is deleted after the catalogue update is committed, the rows
of both steps follow in one commit). Neither pair sends anything: every CNM-S still goes out only after the
``verified`` row of its transfer is recorded, and a crash before a pair's commit leaves the transfers at the
step before the pair, which a re-run repeats (copies rewrite the same bytes, deletes of deleted files do
nothing, the catalogue update sets the same values).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from lake.archive_copy import copy, copy_and_verify, verify
from lake.archive_finish import catalogue, catalogue_and_expire, expire
from lake.archive_messages import notify, receive
from lake.archive_select import select
from lake.archive_step import Known, RollReport, archive_location
from lake.archive_transfers import transfer_states
from lake.cnm_transport import Transport, get_transport
from lake.settings import Settings, get_settings

__all__ = ["ROLL_STEPS", "RollReport", "archive_location", "run_roll", "run_step"]

#: The roll's steps, in order (each is a task of the ``archive_roll`` DAG).
ROLL_STEPS = ("select", "copy", "verify", "notify", "receive", "catalogue", "expire")


def run_roll(settings: Settings | None = None, transport: Transport | None = None,
             now: datetime | None = None) -> dict[str, RollReport]:
    """Run every step once, in order (what the DAG does); returns each step's report."""
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    transport = transport or get_transport(settings)
    clock = time.perf_counter()

    def timed(report: RollReport) -> RollReport:
        nonlocal clock
        now_s = time.perf_counter()  # one reading: the next step's time starts where this one's ends
        report.seconds, clock = now_s - clock, now_s
        return report

    known = Known(transfer_states(settings))
    reports = {"select": timed(select(settings, now, known))}
    reports["copy"], reports["verify"] = copy_and_verify(settings, now, known)
    timed(reports["copy"])
    reports["notify"] = timed(notify(settings, transport, known))
    reports["receive"] = timed(receive(settings, transport, now, known))
    reports["catalogue"], reports["expire"] = catalogue_and_expire(settings, now, known)
    timed(reports["catalogue"])
    return reports


def run_step(step: str, settings: Settings | None = None, transport: Transport | None = None,
             now: datetime | None = None) -> RollReport:
    """Run one step of the roll.

    Args:
        step: one of :data:`ROLL_STEPS`.
        settings: the lake settings.
        transport: the CNM transport; default the one named by ``settings.daac.transport``.
        now: the time the roll runs at (for retention and back-off); default now.

    Returns:
        How many transfers moved on, failed, and how many message notes were recorded.
    """
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    start = time.perf_counter()
    report = _run_step(step, settings, transport, now)
    report.seconds = time.perf_counter() - start
    return report


def _run_step(step: str, settings: Settings, transport: Transport | None, now: datetime) -> RollReport:
    if step == "select":
        return select(settings, now)
    if step in ("notify", "receive"):
        transport = transport or get_transport(settings)
        return notify(settings, transport) if step == "notify" else receive(settings, transport, now)
    handler = {"copy": copy, "verify": verify, "catalogue": catalogue, "expire": expire}[step]
    return handler(settings, now)
