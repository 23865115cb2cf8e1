"""The feed watcher trigger: fires on new or revised events, keeps a watermark, survives malformed feeds."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

DATA = Path(__file__).parent / "data" / "earthquakes"
MARCH = DATA / "utero_4.5_month_20140321.geojson"
APRIL = DATA / "utero_4.5_month_20140401.geojson"


class FakeAssetState:
    """The trigger's view of the watched asset's state store (Airflow injects the real one)."""

    def __init__(self):
        self.values = {}

    async def aget(self, key, default=None):
        return self.values.get(key, default)

    async def aset(self, key, value):
        self.values[key] = value


def _collect(trigger, polls_then=None):
    async def go():
        out = []
        async for event in trigger.run():
            out.append(event.payload)
        return out

    return asyncio.run(go())


def _newest(path):
    return max(f["properties"]["updated"] for f in json.loads(path.read_text())["features"])


def test_fires_once_per_new_revision_and_keeps_the_watermark(sarlake_home, tmp_path, monkeypatch):
    from sarlake_plugins import event_feed
    from sarlake_plugins.event_feed import EventFeedTrigger

    monkeypatch.setattr(event_feed, "lake_watermark", lambda: None)
    feed = tmp_path / "feed.geojson"
    shutil.copy(MARCH, feed)
    state = FakeAssetState()
    trigger = EventFeedTrigger(feed_url=str(feed), poll_interval=0.01, max_polls=3)
    trigger.asset_state_store = state
    fired = _collect(trigger)
    assert len(fired) == 1  # three polls of an unchanged feed fire once
    assert fired[0]["count"] == 409 and fired[0]["since"] is None
    from datetime import UTC, datetime

    march_newest = datetime.fromtimestamp(_newest(MARCH) / 1000, tz=UTC)
    assert datetime.fromisoformat(state.values["watermark"]) == march_newest

    # a "restart": a new trigger instance with the same state store fires only for what is newer
    shutil.copy(APRIL, feed)
    restarted = EventFeedTrigger(feed_url=str(feed), poll_interval=0.01, max_polls=2)
    restarted.asset_state_store = state
    fired = _collect(restarted)
    april = json.loads(APRIL.read_text())["features"]
    expected = sorted(f["id"] for f in april if f["properties"]["updated"] / 1000 > march_newest.timestamp())
    assert len(fired) == 1 and fired[0]["count"] == len(expected) and 0 < len(expected) < 465
    assert fired[0]["event_ids"] == expected[:100]


def test_malformed_feed_is_logged_and_the_watcher_keeps_polling(sarlake_home, tmp_path, monkeypatch, caplog):
    from sarlake_plugins import event_feed
    from sarlake_plugins.event_feed import EventFeedTrigger

    monkeypatch.setattr(event_feed, "lake_watermark", lambda: None)
    feed = tmp_path / "feed.geojson"
    feed.write_text(MARCH.read_text()[:3000])  # truncated
    polls = {"n": 0}
    real_read = event_feed.__dict__.get("read_feed")
    assert real_read is None  # read through sarlake.events at run time

    import sarlake.events as events

    original = events.read_feed

    def read_then_repair(url, **kw):
        polls["n"] += 1
        if polls["n"] == 2:  # the operator fixes the feed between polls
            shutil.copy(MARCH, feed)
        return original(url, **kw)

    monkeypatch.setattr(events, "read_feed", read_then_repair)
    trigger = EventFeedTrigger(feed_url=str(feed), poll_interval=0.01, max_polls=3)
    with caplog.at_level("ERROR"):
        fired = _collect(trigger)
    assert "not valid JSON" in caplog.text and "keeps polling" in caplog.text
    assert len(fired) == 1 and fired[0]["count"] == 409


def test_watermark_is_never_behind_the_lake(sarlake_home, tmp_path):
    from lake.catalog import init_lake
    from sarlake.workflows.urgent import evaluate_feed
    from sarlake_plugins.event_feed import EventFeedTrigger

    init_lake()
    evaluate_feed(str(MARCH))  # the lake already holds the March feed
    trigger = EventFeedTrigger(feed_url=str(MARCH), poll_interval=0.01, max_polls=2)
    assert _collect(trigger) == []  # no state store (first start): the lake's watermark alone suffices


def test_trigger_serializes_to_its_arguments():
    from sarlake_plugins.event_feed import EventFeedTrigger

    path, kwargs = EventFeedTrigger(feed_url="/x.geojson", poll_interval=30).serialize()
    assert path == "sarlake_plugins.event_feed.EventFeedTrigger"
    assert EventFeedTrigger(**kwargs).serialize() == (path, kwargs)
