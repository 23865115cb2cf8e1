"""Archive-tier checks: does the catalogue agree with the DAAC archive and with ``archive_transfers``?

:func:`verify_archive` returns findings in the shape of ``lake.verify`` (kind, table, product_id, path,
detail), so ``sarlake lake verify`` can append them to its hot-tier report:

=============================  ===========================================================================
kind                           meaning
=============================  ===========================================================================
``archive_missing_file``       a file the DAAC acknowledged is gone from the archive (of any version it keeps:
                               each delivered to its own folder, :func:`lake.archive_step.archive_location`)
``archive_checksum_mismatch``  an archive file's size or sha256 differs from what the DAAC acknowledged
``archive_orphan``             a file under the archive root that no delivery put there, or that only an earlier
                               version's did (named in the detail)
``archived_without_delivery``  a product catalogued at the archive without an acknowledged delivery
``archive_location_mismatch``  an archived product whose catalogued uri is not its delivery's folder
``stale_hot_copy``             an archived (not cached) product whose hot copy was not deleted
``unfinished_transfer``        a delivery stopped between steps (a roll died; the next roll completes it)
``unanswered_delivery``        a CNM-S the DAAC has not answered for longer than ``SARLAKE_DAAC__ANSWER_WAIT_HOURS``
                               (a delivery waiting for its answer within that time is in flight, not a finding)
``hot_after_delivery``         a hot product at a version the DAAC already acknowledged (removed and made
                               again since): the roll never delivers one version twice, so it stays hot
=============================  ===========================================================================
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lake import storage
from lake.archive_transfers import Transfer, latest_transfers, newer
from lake.settings import Settings, get_settings

__all__ = ["ArchiveFinding", "unanswered", "verify_archive"]

#: Steps after which a transfer is finished (nothing left for a roll to do).
_FINISHED = ("hot_deleted", "failed")


@dataclass(frozen=True)
class ArchiveFinding:
    """One inconsistency (same fields as ``lake.verify.Finding``)."""

    kind: str
    table: str
    product_id: str | None
    path: str | None
    detail: str


def verify_archive(settings: Settings | None = None, *, checksums: bool = True,
                   now: datetime | None = None) -> list[ArchiveFinding]:
    """Compare archived products, their deliveries and the archive's files.

    Args:
        settings: the lake settings.
        checksums: also re-hash every archive file (slow for a big archive; sizes are always checked).
        now: the time a delivery's wait for the DAAC's answer is measured to (the clock's by default).

    Returns:
        The findings; empty when the archive tier is consistent.
    """
    from lake.catalog import load_table

    settings = settings or get_settings()
    findings: list[ArchiveFinding] = []
    transfers = latest_transfers(settings)
    delivered: dict[str, Transfer] = {}
    in_folder: dict[str, Transfer] = {}  # the newest delivery to each archive folder
    of_version: dict[tuple[str, str], Transfer] = {}  # every version delivered (an earlier one may be hot again)
    expected: set[str] = set()
    for t in transfers.values():
        if t.step not in _FINISHED:
            if t.step == "notified":  # in flight: the DAAC answers when it has ingested the delivery
                late = unanswered(t, settings, now)
                if late:
                    findings.append(ArchiveFinding("unanswered_delivery", "archive_transfers", t.product_id,
                                                   t.transfer_id, late))
            else:
                findings.append(ArchiveFinding("unfinished_transfer", "archive_transfers", t.product_id,
                                               t.transfer_id, f"delivery stopped after step {t.step}; run "
                                               "`sarlake archive roll`"))
            expected.update(f.get("uri") or storage.join(t.archive_uri or "", f["name"]) for f in t.files)
        elif t.step == "hot_deleted":
            if newer(t, delivered.get(t.product_id)):
                delivered[t.product_id] = t
            if newer(t, in_folder.get(t.archive_uri or "")):
                in_folder[t.archive_uri or ""] = t
            of_version[t.product_id, t.version or "1"] = t
    fields = ("product_id", "uri", "tier", "version")
    products = load_table("products", settings).scan(selected_fields=fields).to_arrow().to_pylist()
    for p in products:
        if p["tier"] not in ("archive", "cached"):
            d = of_version.get((p["product_id"], p["version"] or "1"))
            if d is not None:
                findings.append(ArchiveFinding(
                    "hot_after_delivery", "products", p["product_id"], p["uri"],
                    f"hot, but its version {d.version} was delivered ({d.transfer_id}) before it was catalogued "
                    "again: the roll never delivers a version twice, so it stays hot; make it again as a new "
                    "version (its met.json's `sarlake:version`: a new PGE version, or an ingest's `--replace "
                    "--revision N`), or remove it (`sarlake products remove`)"))
            continue
        d = delivered.get(p["product_id"])
        if d is None:
            findings.append(ArchiveFinding("archived_without_delivery", "products", p["product_id"], p["uri"],
                                           f"tier is {p['tier']} but no delivery was acknowledged"))
            continue
        if p["tier"] == "archive" and p["uri"] != d.archive_uri:
            findings.append(ArchiveFinding("archive_location_mismatch", "products", p["product_id"], p["uri"],
                                           f"catalogued at {p['uri']}, delivered to {d.archive_uri}"))
        if p["tier"] == "archive" and d.hot_uri and storage.list_uris(d.hot_uri, settings=settings):
            findings.append(ArchiveFinding("stale_hot_copy", "products", p["product_id"], d.hot_uri,
                                           "archived, but files remain in the hot lake"))
    for t in in_folder.values():  # every product's newest delivery, and the earlier versions the DAAC keeps
        for f in t.files:
            expected.add(f["uri"])
            findings.extend(_check_file(t.product_id, f, settings, checksums))
    left = _left_by_earlier_versions(transfers, in_folder)
    for uri in storage.list_uris(settings.daac.root, settings=settings):
        if uri not in expected and not uri.endswith(".partial"):
            findings.append(ArchiveFinding("archive_orphan", "archive_transfers", None, uri,
                                           left.get(uri, "no delivery put this file at the archive")))
    return findings


def unanswered(t: Transfer, settings: Settings, now: datetime | None = None) -> str:
    """Why a notified delivery ``t`` is overdue, or "" while it may still wait for the DAAC's CNM-R."""
    now = now or datetime.now(UTC)
    wait = settings.daac.answer_wait_hours
    if t.recorded_at is None or now - t.recorded_at <= timedelta(hours=wait):
        return ""
    daac = settings.daac
    sent, answers = ((f"SNS topic {daac.sns_topic_arn}", f"SQS queue {daac.sqs_queue_url}")
                     if daac.transport == "sns_sqs" else (daac.outbox, daac.inbox))
    hours = (now - t.recorded_at).total_seconds() / 3600
    return (f"CNM-S sent {t.recorded_at:%Y-%m-%d %H:%M} UTC, {hours:.0f} h ago, and the DAAC has not answered "
            f"(SARLAKE_DAAC__ANSWER_WAIT_HOURS={wait:g}): check that it receives the CNM-S ({sent}) and answers to "
            f"{answers}; the product stays hot until it does")


def _left_by_earlier_versions(transfers: dict[str, Transfer], in_folder: dict[str, Transfer]) -> dict[str, str]:
    """Archive files of earlier deliveries that the newest delivery to the same folder does not have: uri -> note.

    Versions shared a product's folder before :func:`lake.archive_step.archive_location` gave each its own.
    """
    from lake.archive_superseded import superseded_files

    out = {}
    for t in transfers.values():
        newest = in_folder.get(t.archive_uri or "")
        if t.step != "hot_deleted" or newest is None or t.transfer_id == newest.transfer_id:
            continue
        for uri in superseded_files(newest, [t]):
            out[uri] = (f"left by {t.transfer_id} (version {t.version}); the newest delivery, version "
                        f"{newest.version} ({newest.transfer_id}), does not have it: delete it")
    return out


def _check_file(pid: str, f: dict[str, Any], settings: Settings, checksums: bool) -> list[ArchiveFinding]:
    try:
        data = storage.read_bytes(f["uri"], settings)
    except (FileNotFoundError, OSError):
        return [ArchiveFinding("archive_missing_file", "products", pid, f["uri"],
                               "acknowledged by the DAAC, missing at the archive")]
    if len(data) != f["size"] or (checksums and hashlib.sha256(data).hexdigest() != f["sha256"]):
        return [ArchiveFinding("archive_checksum_mismatch", "products", pid, f["uri"],
                               f"size/sha256 differ from the delivery ({f['size']} bytes, {f['sha256'][:12]}...)")]
    return []
