"""The ``events`` table: earthquakes from external feeds, their urgent-response decision and processing state.

One row per event id. A revision of an event (same id, newer ``updated``) replaces the row; the
``processing`` column says what happened to its coseismic work (``none``, ``pending``, ``done``,
``failed``, ``cancelled``, ``unsupported``) and ``processed_updated`` which revision that work was planned for.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from lake.settings import Settings, get_settings
from lake.write import UpsertResult, update, upsert

__all__ = ["PROCESSING_STATES", "events_watermark", "record_events", "set_processing", "stored_events"]

logger = logging.getLogger(__name__)

#: Values of ``events.processing``.
PROCESSING_STATES = ("none", "pending", "done", "failed", "cancelled", "unsupported")


def stored_events(event_ids: list[str] | None = None, settings: Settings | None = None) -> dict[str, dict[str, Any]]:
    """Stored rows of the given events (all events when ``event_ids`` is None), by event id."""
    from pyiceberg.expressions import AlwaysTrue, BooleanExpression, In

    from lake.catalog import load_table

    table = load_table("events", settings or get_settings())
    if event_ids is not None and not event_ids:
        return {}
    row_filter: BooleanExpression = AlwaysTrue()
    if event_ids is not None:
        row_filter = In("event_id", set(event_ids))  # type: ignore[call-arg,arg-type,misc]
    rows = table.scan(row_filter=row_filter).to_arrow().to_pylist()
    return {r["event_id"]: r for r in rows}


def events_watermark(settings: Settings | None = None) -> datetime | None:
    """Newest ``updated`` (else origin ``time``) in the ``events`` table; None when it is empty."""
    from lake.catalog import load_table

    table = load_table("events", settings or get_settings())
    data = table.scan(selected_fields=("updated", "time")).to_arrow()
    newest = None
    for updated, time in zip(data.column("updated").to_pylist(), data.column("time").to_pylist(), strict=True):
        value = updated or time
        if value is not None and (newest is None or value > newest):
            newest = value
    return newest.astimezone(UTC) if newest is not None else None


def record_events(rows: list[dict[str, Any]], settings: Settings | None = None) -> UpsertResult:
    """Insert or replace event rows (idempotent upsert by ``event_id``)."""
    return upsert("events", rows, settings or get_settings())


def set_processing(event_ids: list[str], state: str, settings: Settings | None = None) -> UpsertResult:
    """Set the ``processing`` state of stored events.

    Raises:
        ValueError: ``state`` is not one of :data:`PROCESSING_STATES`.
    """
    if state not in PROCESSING_STATES:
        raise ValueError(f"processing state {state!r} is not one of {', '.join(PROCESSING_STATES)}")
    if not event_ids:
        return UpsertResult(0, 0, 0)
    return update("events", [{"event_id": e, "processing": state} for e in event_ids], settings or get_settings())
