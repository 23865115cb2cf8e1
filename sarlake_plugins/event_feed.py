"""The earthquake feed watcher: an event trigger for Airflow's event-driven scheduling (``AssetWatcher``).

``EventFeedTrigger`` polls a feed (a local file or URL by default, the USGS summary feed or an FDSN event
query in production: ``SARLAKE_URGENT__FEED_URL``) and fires a ``TriggerEvent`` when the feed holds an event
whose ``updated`` is newer than the watermark, then advances the watermark. The watermark survives a
restart: it is kept in the watched asset's state store (Airflow 3.3 asset state) and is never behind the
newest revision already recorded in the lake's ``events`` table. A feed that cannot be read or parsed is
logged and the trigger keeps polling; it never dies on bad input.

The trigger only detects change. The ``urgent_response`` DAG it schedules re-reads the feed and compares
every event with the ``events`` table, so an event is processed once per revision even if the trigger
fires twice for it, and an event missed by a failed run is picked up by the next one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

log = logging.getLogger(__name__)

WATERMARK_KEY = "watermark"


def lake_watermark() -> datetime | None:
    """Newest ``updated`` recorded in the lake's ``events`` table (None when empty or not initialised)."""
    from sarlake.workflows.urgent import events_watermark

    try:
        return events_watermark()
    except Exception as exc:  # a missing lake must not stop the watcher: it starts from the feed's beginning
        log.warning("No watermark from the lake (%s); starting from the feed's oldest event", exc)
        return None


def fresh_events(events: list[Any], watermark: datetime | None) -> list[Any]:
    """Events whose revision (``updated``, else origin time) is newer than ``watermark``."""
    return [e for e in events if watermark is None or e.revision > watermark]


class EventFeedTrigger(BaseEventTrigger):
    """Fire when an earthquake feed holds events newer than the watermark.

    Args:
        feed_url: a file path, ``file://`` URL or ``http(s)://`` URL of a USGS GeoJSON feed or FDSN output.
        poll_interval: seconds between polls.
        max_polls: stop after this many polls (tests); 0 polls forever.
    """

    def __init__(self, feed_url: str, poll_interval: float = 60.0, max_polls: int = 0) -> None:
        super().__init__()
        self.feed_url = feed_url
        self.poll_interval = float(poll_interval)
        self.max_polls = int(max_polls)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and keyword arguments (the trigger's identity in the triggerer)."""
        return (
            "sarlake_plugins.event_feed.EventFeedTrigger",
            {"feed_url": self.feed_url, "poll_interval": self.poll_interval, "max_polls": self.max_polls},
        )

    async def _stored_watermark(self) -> datetime | None:
        stored = None
        state = getattr(self, "asset_state_store", None)
        if state is not None:
            try:
                value = await state.aget(WATERMARK_KEY)
                stored = datetime.fromisoformat(value) if isinstance(value, str) else None
            except Exception as exc:  # the state store is an optimisation; the lake is the truth
                log.warning("Cannot read the asset state watermark: %s", exc)
        from_lake = await asyncio.to_thread(lake_watermark)
        candidates = [w for w in (stored, from_lake) if w is not None]
        return max(candidates) if candidates else None

    async def _store_watermark(self, watermark: datetime) -> None:
        state = getattr(self, "asset_state_store", None)
        if state is None:
            return
        try:
            await state.aset(WATERMARK_KEY, watermark.isoformat())
        except Exception as exc:
            log.warning("Cannot store the watermark in the asset state: %s", exc)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll the feed; yield one event per poll that finds newer revisions; never raise on bad feeds."""
        from sarlake.events import FeedError, read_feed

        watermark = await self._stored_watermark()
        log.info("Watching %s every %.0f s from watermark %s", self.feed_url, self.poll_interval, watermark)
        polls = 0
        while True:
            polls += 1
            try:
                events = await asyncio.to_thread(read_feed, self.feed_url)
            except FeedError as exc:
                log.error("%s -- the watcher keeps polling every %.0f s", exc, self.poll_interval)
                events = []
            except Exception as exc:  # network errors and the like: log, keep polling
                log.error("Polling %s failed: %s -- will retry in %.0f s", self.feed_url, exc, self.poll_interval)
                events = []
            fresh = fresh_events(events, watermark)
            if fresh:
                newest = max(e.revision for e in fresh)
                payload = {
                    "feed_url": self.feed_url,
                    "since": watermark.isoformat() if watermark else None,
                    "until": newest.isoformat(),
                    "count": len(fresh),
                    "event_ids": sorted(e.event_id for e in fresh)[:100],
                }
                log.info("%d new or revised events in %s (up to %s)", len(fresh), self.feed_url, newest)
                watermark = newest
                await self._store_watermark(newest)
                yield TriggerEvent(payload)
            if self.max_polls and polls >= self.max_polls:
                return
            await asyncio.sleep(self.poll_interval)


def event_feed_asset() -> Any:
    """The Asset that the feed watcher updates (``schedule=[event_feed_asset()]``).

    Reads ``SARLAKE_URGENT__FEED_URL`` and ``SARLAKE_URGENT__POLL_INTERVAL_S`` from the environment at DAG
    parse time (no database, no network).
    """
    from airflow.sdk import Asset, AssetWatcher

    from lake.settings import get_settings

    urgent = get_settings().urgent
    trigger = EventFeedTrigger(feed_url=urgent.feed_url, poll_interval=urgent.poll_interval_s)
    return Asset(
        name="sarlake.event_feed",
        uri="sarlake://feeds/earthquakes",
        group="sarlake-feeds",
        watchers=[AssetWatcher(name="earthquake_feed_watcher", trigger=trigger)],
    )
