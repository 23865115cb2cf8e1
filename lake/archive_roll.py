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

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lake import storage
from lake.archive_files import (
    catalogued_checksums,
    copy_file,
    discard_archive_copy,
    hash_uri,
    hot_mismatch,
    mismatch_reason,
    remove_empty_dirs,
    remove_partials,
)
from lake.archive_superseded import earlier_deliveries, superseded_files
from lake.archive_transfers import (
    FINISHED_COLUMNS,
    HELD,
    Transfer,
    latest_transfers,
    record,
    transfer_id,
    transfer_states,
)
from lake.cnm import CnmError, CnmFile, build_cnm_s, file_type, parse_cnm_r
from lake.cnm_transport import Transport, get_transport
from lake.settings import Settings, get_settings, is_remote

__all__ = ["ROLL_STEPS", "RollReport", "archive_location", "run_roll", "run_step"]

logger = logging.getLogger(__name__)

#: The roll's steps, in order (each is a task of the ``archive_roll`` DAG).
ROLL_STEPS = ("select", "copy", "verify", "notify", "receive", "catalogue", "expire")


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
class _Known:
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


def _in_own_folder(t: Transfer) -> bool:
    """Whether ``t`` went to a folder of its version alone (:func:`archive_location`), sharing no other's files.

    Deliveries made before each version had its own folder shared their product's.
    """
    return (t.archive_uri or "").rstrip("/").endswith(_version_suffix(t.version or "1"))


def _io_threads(settings: Settings) -> int:
    """Threads for the roll's file work: the ``daac.io_threads`` setting, else by where the files are."""
    if settings.daac.io_threads:
        return settings.daac.io_threads
    if is_remote(settings.daac.root) or is_remote(settings.products_root):
        return 8
    return max(2, os.cpu_count() or 2)


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

    known = _Known(transfer_states(settings))
    reports = {"select": timed(_select(settings, now, known))}
    reports["copy"], reports["verify"] = _copy_and_verify(settings, now, known)
    timed(reports["copy"])
    reports["notify"] = timed(_notify(settings, transport, known))
    reports["receive"] = timed(_receive(settings, transport, now, known))
    reports["catalogue"], reports["expire"] = _catalogue_and_expire(settings, now, known)
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
        return _select(settings, now)
    if step in ("notify", "receive"):
        transport = transport or get_transport(settings)
        return _notify(settings, transport) if step == "notify" else _receive(settings, transport, now)
    handler = {"copy": _copy, "verify": _verify, "catalogue": _catalogue, "expire": _expire}[step]
    return handler(settings, now)


def _failpoint(name: str) -> None:
    """Crash-test hook: ``SARLAKE_ROLL_FAILPOINT=<name>`` kills this process with SIGKILL at that point.

    Names: ``<step>:before-record`` (the step acted, nothing recorded yet) and ``copy:after-file`` (one file of
    a product copied, the next not).
    """
    if os.environ.get("SARLAKE_ROLL_FAILPOINT") == name:
        import signal

        logger.warning("failpoint %s: killing process %d", name, os.getpid())
        os.kill(os.getpid(), signal.SIGKILL)


def _waiting(settings: Settings, step: str, known: _Known | None = None) -> list[Transfer]:
    """Transfers whose latest recorded step is ``step`` (from ``known`` when the whole roll runs here)."""
    if known is None:
        return sorted(latest_transfers(settings, step).values(), key=lambda t: t.transfer_id)
    return sorted((t for t in known.transfers.values() if t.step == step), key=lambda t: t.transfer_id)


def _fail(t: Transfer, failed_step: str, reason: str, settings: Settings, now: datetime,
          error_code: str | None = None) -> dict[str, Any]:
    delay = settings.daac.retry_base_seconds * 2 ** (t.attempt - 1)
    logger.warning("transfer %s failed at %s: %s", t.transfer_id, failed_step, reason)
    return t.row("failed", reason=reason, error_code=error_code, failed_step=failed_step,
                 next_attempt_at=now + timedelta(seconds=min(delay, settings.daac.retry_max_seconds)))


# --- select -------------------------------------------------------------------------------------------------


def _select(settings: Settings, now: datetime, known: _Known | None = None) -> RollReport:
    import pyarrow.compute as pc

    from lake.catalog import load_table

    cutoff = now - timedelta(days=settings.daac.hot_retention_days)
    fields = ("product_id", "product_type", "version", "uri", "status", "tier", "created_at", "assets")
    products = load_table("products", settings).scan(selected_fields=fields).to_arrow()
    if products.num_rows == 0:
        return RollReport()
    hot = pc.equal(pc.fill_null(products["tier"], "hot"), "hot")
    old = pc.less_equal(products["created_at"], cutoff)
    allowed = pc.invert(pc.is_in(products["status"], value_set=pc.cast(
        _pa_strings(settings.daac.exclude_statuses), products["status"].type)))
    allowed = pc.fill_null(allowed, True)
    candidates = products.filter(pc.and_(pc.and_(hot, old), allowed)).to_pylist()
    transfers = known.transfers if known else latest_transfers(
        settings, columns=FINISHED_COLUMNS)
    by_product: dict[tuple[str, str], list[Transfer]] = {}
    for t in transfers.values():
        by_product.setdefault((t.product_id, t.version), []).append(t)
    rows: list[dict[str, Any]] = []
    new: list[Transfer] = []
    report = RollReport()
    for p in candidates:
        version = p["version"] or "1"
        previous = sorted(by_product.get((p["product_id"], version), []), key=lambda t: t.attempt)
        if previous:
            last = previous[-1]
            if last.step in HELD:  # removed and made again at that version
                logger.warning("%s: version %s was delivered (%s), and the product is hot again at that version: "
                               "not delivered twice (hot_after_delivery in `sarlake archive verify`)",
                               p["product_id"], version, last.transfer_id)
            if last.step != "failed":
                continue  # in flight, or done
            if last.attempt >= settings.daac.max_attempts:
                continue
            if last.next_attempt_at and last.next_attempt_at > now:
                continue
        attempt = previous[-1].attempt + 1 if previous else 1
        archive_uri = archive_location(p["product_type"], p["product_id"], settings, version)
        t = Transfer(transfer_id(p["product_id"], version, attempt), p["product_id"], version, attempt, "new",
                     hot_uri=p["uri"], archive_uri=archive_uri)
        new.append(t)
        if known is not None:
            known.types[p["product_id"]] = p["product_type"]
        if not p["uri"]:
            rows.append(_fail(t, "select", "product has no uri in the catalogue", settings, now))
            report.failed += 1
            continue
        try:
            listing = storage.list_uris(p["uri"], settings=settings)
        except Exception as exc:  # noqa: BLE001 - any storage error keeps the product hot, recorded
            listing, error = [], str(exc)
        else:
            error = ""
        if not listing:
            rows.append(_fail(t, "select", f"hot files vanished: nothing under {p['uri']} {error}".strip(),
                              settings, now))
            report.failed += 1
            continue
        catalogued = catalogued_checksums(p["assets"])
        names = [(_relative(uri, p["uri"]), uri) for uri in listing]
        t.files = [{"name": name, "hot_uri": uri, "size": None, "sha256": catalogued.get(name)}
                   for name, uri in names]
        rows.append(t.row("selected"))
        report.moved += 1
    _failpoint("select:before-record")
    record(rows, settings)
    if known is not None:
        known.transfers.update((t.transfer_id, t) for t in new)
    return report


def _pa_strings(values: tuple[str, ...]) -> Any:
    import pyarrow as pa

    return pa.array(list(values), pa.string())


def _relative(uri: str, base: str) -> str:
    base = base.rstrip("/")
    if is_remote(base) or base.startswith("file://"):
        return uri[len(base) + 1:]
    root = str(storage.local_path(base))
    if uri.startswith(root + os.sep):  # what list_entries returns: no Path arithmetic per file
        return uri[len(root) + 1:]
    return str(Path(uri).relative_to(storage.local_path(base)))


# --- copy and verify ----------------------------------------------------------------------------------------


def _copy_one(t: Transfer, settings: Settings, now: datetime) -> tuple[dict[str, Any], bool]:
    """Copy one transfer's files to the archive: its ``copied`` row, or a ``failed`` one."""
    archive = t.archive_uri or ""
    remove_partials(archive)  # left by a copy killed mid-file
    try:
        files = []
        made: set[str] = set()
        for f in t.files:
            dst = storage.join(archive, f["name"])
            try:
                if not is_remote(dst) and (folder := os.path.dirname(storage.local_str(dst))) not in made:
                    os.makedirs(folder, exist_ok=True)  # once per folder of the product, not per file
                    made.add(folder)
                digest, size = copy_file(f["hot_uri"], dst, settings, hash_it=not f.get("sha256"))
            except FileNotFoundError as exc:
                if not storage.exists(f["hot_uri"], settings):
                    raise _StepFailure(f"hot file vanished: {f['hot_uri']}") from exc
                raise _StepFailure(f"archive refused the write of {dst}: {exc}") from exc
            except Exception as exc:  # noqa: BLE001 - OS or S3 errors: name the file, keep the product hot
                raise _StepFailure(f"archive refused the write of {dst}: {exc}") from exc
            if digest and f.get("sha256") and f["sha256"] != digest:
                raise _StepFailure(hot_mismatch(f["hot_uri"], digest, f["sha256"]))
            files.append({**f, "uri": dst, "size": size, "sha256": digest or f["sha256"]})
            _failpoint("copy:after-file")
    except _StepFailure as exc:
        discard_archive_copy(t, settings)
        return _fail(t, "copy", str(exc), settings, now), False
    return t.row("copied", files=files), True


def _copy(settings: Settings, now: datetime) -> RollReport:
    return _run_each(_waiting(settings, "selected"), lambda t: _copy_one(t, settings, now), "copy", settings)


def _copy_and_verify(settings: Settings, now: datetime, known: _Known) -> tuple[RollReport, RollReport]:
    """Copy, then verify, each selected transfer on the I/O threads; record both steps' rows in one commit.

    Each transfer is verified as soon as its copy is done (the archive copy is re-read from the archive's
    file system or object store, as the verify step always does); nothing leaves the lake before the
    ``verified`` row is recorded, so recording ``copied`` and ``verified`` together loses no crash safety.
    """
    from concurrent.futures import ThreadPoolExecutor

    copied, verified = RollReport(), RollReport()
    waiting = _waiting(settings, "selected", known)
    if not waiting:
        return copied, verified

    def one(t: Transfer) -> tuple[list[dict[str, Any]], bool, bool | None]:
        row, ok = _copy_one(t, settings, now)
        if not ok:
            return [row], False, None
        checked, good = _verify_one(t, settings, now)
        return [row, checked], True, good

    with ThreadPoolExecutor(max_workers=_io_threads(settings)) as pool:
        results = list(pool.map(one, waiting))
    for _, copy_ok, verify_ok in results:
        copied.moved += copy_ok
        copied.failed += not copy_ok
        if verify_ok is not None:
            verified.moved += verify_ok
            verified.failed += not verify_ok
    _failpoint("copy:before-record")
    _failpoint("verify:before-record")
    record([row for rows, _, _ in results for row in rows], settings)
    return copied, verified


def _run_each(transfers: list[Transfer], one: Any, step: str, settings: Settings) -> RollReport:
    """Apply ``one`` to every transfer on a few threads (I/O bound), then record all rows in one commit."""
    from concurrent.futures import ThreadPoolExecutor

    report = RollReport()
    if not transfers:
        return report
    with ThreadPoolExecutor(max_workers=_io_threads(settings)) as pool:
        results = list(pool.map(one, transfers))
    for _, ok in results:
        report.moved += ok
        report.failed += not ok
    _failpoint(f"{step}:before-record")
    record([row for row, _ in results], settings)
    return report


class _StepFailure(Exception):
    """One transfer's step failed (recorded; the roll carries on with the others)."""


def _verify_one(t: Transfer, settings: Settings, now: datetime) -> tuple[dict[str, Any], bool]:
    """Re-read one transfer's archive copies: its ``verified`` row, or a ``failed`` one."""
    problem = None
    for f in t.files:
        try:
            digest, size = hash_uri(f["uri"], settings)
        except FileNotFoundError:
            problem = f"archive copy missing: {f['uri']}"
            break
        if size != f["size"]:
            problem = f"size mismatch at the archive for {f['uri']}: {size} != {f['size']} bytes"
            break
        if digest != f["sha256"]:
            problem = mismatch_reason(f, digest, settings)
            break
    if problem:
        discard_archive_copy(t, settings)
        return _fail(t, "verify", problem, settings, now), False
    return t.row("verified"), True


def _verify(settings: Settings, now: datetime) -> RollReport:
    return _run_each(_waiting(settings, "copied"), lambda t: _verify_one(t, settings, now), "verify", settings)


# --- CNM out and back ---------------------------------------------------------------------------------------


def _notify(settings: Settings, transport: Transport, known: _Known | None = None) -> RollReport:
    from lake.catalog import load_table

    waiting = _waiting(settings, "verified", known)
    if not waiting:
        return RollReport()
    types = dict(known.types) if known else {}
    unknown = {t.product_id for t in waiting} - set(types)
    if unknown:  # selected by an earlier run: read their types
        types.update(_product_types(load_table("products", settings), unknown))

    def one(t: Transfer) -> tuple[dict[str, Any], bool]:
        files = [CnmFile(f["name"], f["uri"], file_type(f["name"]), f["sha256"], int(f["size"])) for f in t.files]
        message = build_cnm_s(identifier=t.transfer_id, provider=settings.daac.provider,
                              collection=f"{settings.daac.collection_prefix}{types.get(t.product_id) or 'unknown'}",
                              product=t.product_id, version=t.version, files=files)
        transport.send(t.transfer_id, message)
        return t.row("notified", message_text=json.dumps(message)), True

    return _run_each(waiting, one, "notify", settings)  # sends on a few threads, then one commit


def _product_types(table: Any, ids: set[str]) -> dict[str, str]:
    from pyiceberg.expressions import In

    row_filter = In("product_id", ids)  # type: ignore[call-arg,arg-type,misc]
    data = table.scan(row_filter=row_filter, selected_fields=("product_id", "product_type")).to_arrow()
    return dict(zip(data["product_id"].to_pylist(), data["product_type"].to_pylist(), strict=True))


def _receive(settings: Settings, transport: Transport, now: datetime, known: _Known | None = None) -> RollReport:
    messages = transport.receive()
    if not messages:
        return RollReport()
    transfers = known.transfers if known else latest_transfers(settings)
    rows, notes, handles, report = [], [], [], RollReport()
    seen: set[str] = set()
    refused: list[Transfer] = []
    for m in messages:
        handles.append(m.handle)
        try:
            response = parse_cnm_r(m.text)
        except CnmError as exc:
            notes.append(_note(m.text, "cnm_r_malformed", str(exc), now))
            report.notes += 1
            continue
        t = transfers.get(response.identifier)
        if t is None:
            notes.append(_note(m.text, "cnm_r_unknown",
                               f"CNM-R for unknown delivery {response.identifier!r}: no such transfer", now))
            report.notes += 1
            continue
        if t.step != "notified" or t.transfer_id in seen:
            continue  # a repeated answer for a transfer that already moved on
        seen.add(t.transfer_id)
        if response.success:
            rows.append(t.row("acknowledged"))
            report.moved += 1
        else:
            reason = f"DAAC answered FAILURE {response.error_code}: {response.error_message}"
            rows.append(_fail(t, "receive", reason, settings, now, error_code=response.error_code))
            report.failed += 1
            refused.append(t)
    _discard_refused(refused, settings)  # before the record, so that no crash leaves a refused copy behind
    _failpoint("receive:before-record")
    record(rows + notes, settings)
    transport.ack(handles)  # only after the answers are recorded
    return report


def _discard_refused(refused: list[Transfer], settings: Settings) -> None:
    """Delete the archive copies the DAAC refused, as a failed copy's are: a retry copies again.

    The DAAC holds none of it. It runs before the refusal is recorded, so no refused transfer is left with its
    copy by a crash: until the record, the transfer waits for the answer, which comes again (it is acknowledged
    to the transport only after the record), and deleting deleted files does nothing.

    Only a folder of the refused version's own (:func:`archive_location`): versions shared a product's folder
    before, where the files of a version the DAAC acknowledged may be.
    """
    for t in refused:
        if _in_own_folder(t):
            discard_archive_copy(t, settings)


def _note(text: str, step: str, reason: str, now: datetime) -> dict[str, Any]:
    """A row about a message that belongs to no transfer (kept with the message text, for the operator)."""
    digest = hashlib.sha256(text.encode(errors="replace")).hexdigest()[:16]
    return {"transfer_id": f"message:{digest}", "step": step, "reason": reason, "message": text[:10_000],
            "recorded_at": now}


# --- catalogue and expire -----------------------------------------------------------------------------------


def _catalogue_patches(waiting: list[Transfer]) -> list[dict[str, Any]]:
    patches = []
    for t in waiting:
        met = next((f["uri"] for f in t.files if f["name"].endswith(".met.json")), None)
        patches.append({"product_id": t.product_id, "uri": t.archive_uri, "met_uri": met, "tier": "archive",
                        "cache_expires_at": None})
    return patches


def _catalogue(settings: Settings, now: datetime) -> RollReport:
    from lake.write import update

    waiting = _waiting(settings, "acknowledged")
    if not waiting:
        return RollReport()
    update("products", _catalogue_patches(waiting), settings)
    _failpoint("catalogue:before-record")
    record([t.row("catalogued") for t in waiting], settings)
    return RollReport(moved=len(waiting))


def _expire_one(t: Transfer, settings: Settings, earlier: list[Transfer]) -> tuple[dict[str, Any], bool]:
    """Delete one transfer's hot copy and its earlier versions' leftovers at the archive: its ``hot_deleted`` row.

    Hot files already gone are fine. The leftovers are the archive files of the product's earlier versions that
    this version does not have (:mod:`lake.archive_superseded`).
    """
    storage.delete_many([f["hot_uri"] for f in t.files], settings)  # S3: one request per 1,000 objects
    if t.hot_uri and not is_remote(t.hot_uri):
        remove_empty_dirs(storage.local_path(t.hot_uri))
    stale = superseded_files(t, earlier)
    if stale:
        storage.delete_many(stale, settings)
        logger.info("%s: deleted %d archive file(s) of earlier versions that version %s does not have: %s",
                    t.product_id, len(stale), t.version, ", ".join(u.rsplit("/", 1)[-1] for u in stale))
    return t.row("hot_deleted"), True


def _expire(settings: Settings, now: datetime) -> RollReport:
    catalogued = _waiting(settings, "catalogued")
    if not catalogued:
        return RollReport()
    shared = [t for t in catalogued if not _in_own_folder(t)]  # only these can have superseded files to delete
    earlier = {}
    if shared:  # only their products' transfer history is read (pushed down to the scan)
        states = latest_transfers(settings, columns=FINISHED_COLUMNS, product_ids={t.product_id for t in shared})
        earlier = earlier_deliveries(shared, states, settings)
    return _run_each(catalogued, lambda t: _expire_one(t, settings, earlier.get(t.product_id, [])), "expire",
                     settings)


def _catalogue_and_expire(settings: Settings, now: datetime, known: _Known) -> tuple[RollReport, RollReport]:
    """Catalogue acknowledged products, delete hot copies, then record both steps' rows in one commit.

    Acknowledged products are pointed at the archive first (one commit of ``products``); then the hot copies
    of those and of transfers catalogued earlier are deleted: the hot copy goes only after the catalogue
    update is committed, as in the two separate steps. A crash before the rows are recorded leaves the
    transfers acknowledged; a re-run sets the same catalogue values and deletes nothing more.
    """
    from concurrent.futures import ThreadPoolExecutor

    from lake.write import update

    acknowledged = _waiting(settings, "acknowledged", known)
    rows: list[dict[str, Any]] = []
    if acknowledged:
        update("products", _catalogue_patches(acknowledged), settings)
        _failpoint("catalogue:before-record")
        rows += [t.row("catalogued") for t in acknowledged]
    catalogued = _waiting(settings, "catalogued", known)  # now also the ones just catalogued
    if catalogued:
        earlier = earlier_deliveries([t for t in catalogued if not _in_own_folder(t)], known.transfers, settings)
        with ThreadPoolExecutor(max_workers=_io_threads(settings)) as pool:
            rows += [row for row, _ in pool.map(lambda t: _expire_one(t, settings, earlier.get(t.product_id, [])),
                                                catalogued)]
        _failpoint("expire:before-record")
    record(rows, settings)
    return RollReport(moved=len(acknowledged)), RollReport(moved=len(catalogued))


