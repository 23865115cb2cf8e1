"""The roll's ``notify`` and ``receive`` steps: one CNM-S per transfer out, the DAAC's CNM-R answers back."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from lake import archive_step
from lake.archive_files import discard_archive_copy
from lake.archive_step import Known, RollReport, fail, in_own_folder, run_each, waiting_for
from lake.archive_transfers import Transfer, latest_transfers, record
from lake.cnm import CnmError, CnmFile, build_cnm_s, file_type, parse_cnm_r
from lake.cnm_transport import Transport
from lake.settings import Settings

__all__ = ["notify", "receive"]

logger = logging.getLogger(__name__)


def notify(settings: Settings, transport: Transport, known: Known | None = None) -> RollReport:
    """Send one CNM-S per verified transfer (its id is the CNM identifier), then record ``notified``."""
    from lake.catalog import load_table

    waiting = waiting_for(settings, "verified", known)
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

    return run_each(waiting, one, "notify", settings)  # sends on a few threads, then one commit


def _product_types(table: Any, ids: set[str]) -> dict[str, str]:
    from pyiceberg.expressions import In

    row_filter = In("product_id", ids)  # type: ignore[call-arg,arg-type,misc]
    data = table.scan(row_filter=row_filter, selected_fields=("product_id", "product_type")).to_arrow()
    return dict(zip(data["product_id"].to_pylist(), data["product_type"].to_pylist(), strict=True))


def receive(settings: Settings, transport: Transport, now: datetime, known: Known | None = None) -> RollReport:
    """Record the DAAC's CNM-R answers (SUCCESS -> ``acknowledged``, FAILURE -> ``failed``), then acknowledge them.

    A refused version's archive copy is deleted first; an answer that is malformed or names no transfer is
    recorded as a note. Messages are acknowledged to the transport only after the record.
    """
    messages = transport.receive()
    transfers = known.transfers if known else latest_transfers(settings)
    if not messages:
        _warn_unanswered(transfers, settings, set())
        return RollReport()
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
            rows.append(fail(t, "receive", reason, settings, now, error_code=response.error_code))
            report.failed += 1
            refused.append(t)
    _warn_unanswered(transfers, settings, seen)
    _discard_refused(refused, settings)  # before the record, so that no crash leaves a refused copy behind
    archive_step.failpoint("receive:before-record")
    record(rows + notes, settings)
    transport.ack(handles)  # only after the answers are recorded
    return report


def _warn_unanswered(transfers: dict[str, Transfer], settings: Settings, answered: set[str]) -> None:
    """Log the deliveries that have waited past ``daac.answer_wait_hours`` and are not answered in this batch."""
    from lake.archive_verify import unanswered

    late = [(t, why) for t in transfers.values()
            if t.step == "notified" and t.transfer_id not in answered and (why := unanswered(t, settings))]
    if late:
        oldest, why = min(late, key=lambda tw: tw[0].recorded_at or datetime.max.replace(tzinfo=UTC))
        logger.warning("%d deliveries wait for the DAAC's answer past SARLAKE_DAAC__ANSWER_WAIT_HOURS (`sarlake "
                       "archive status` lists them); the oldest, %s: %s", len(late), oldest.transfer_id, why)


def _discard_refused(refused: list[Transfer], settings: Settings) -> None:
    """Delete the archive copies the DAAC refused, as a failed copy's are: a retry copies again.

    The DAAC holds none of it. It runs before the refusal is recorded, so no refused transfer is left with its
    copy by a crash: until the record, the transfer waits for the answer, which comes again (it is acknowledged
    to the transport only after the record), and deleting deleted files does nothing.

    Only a folder of the refused version's own (:func:`archive_location`): versions shared a product's folder
    before, where the files of a version the DAAC acknowledged may be.
    """
    for t in refused:
        if in_own_folder(t):
            discard_archive_copy(t, settings)


def _note(text: str, step: str, reason: str, now: datetime) -> dict[str, Any]:
    """A row about a message that belongs to no transfer (kept with the message text, for the operator)."""
    digest = hashlib.sha256(text.encode(errors="replace")).hexdigest()[:16]
    return {"transfer_id": f"message:{digest}", "step": step, "reason": reason, "message": text[:10_000],
            "recorded_at": now}
