"""Urgent response against the lake: events recorded with decisions, revisions, deletions, no duplicate work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "earthquakes"
MARCH = DATA / "utero_4.5_month_20140321.geojson"
APRIL = DATA / "utero_4.5_month_20140401.geojson"


@pytest.fixture
def lake(sarlake_home):
    from lake.catalog import init_lake

    init_lake()
    return sarlake_home


def _events(ids=None):
    from lake.events import stored_events

    return stored_events(ids)


def test_every_event_is_recorded_with_its_decision_and_reason(lake):
    from sarlake.workflows.urgent import evaluate_feed

    out = evaluate_feed(str(MARCH), run_id="r1")
    assert sorted(w["event_id"] for w in out["work"]) == ["usc000nd0c", "usc000ndnj"]  # see test_sarlake_events
    rows = _events()
    assert len(rows) == 409
    assert {r["decision"] for r in rows.values()} == {"trigger", "ignore"}
    assert all(r["reason"] for r in rows.values())
    ndnj = rows["usc000ndnj"]
    assert (ndnj["decision"], ndnj["processing"], ndnj["aoi"]) == ("trigger", "pending", "eq-usc000ndnj")
    assert ndnj["radius_km"] == pytest.approx(127.5)
    assert rows["usb000n1ex"]["processing"] == "none" and "depth 636.76 km" in rows["usb000n1ex"]["reason"]


def test_same_feed_twice_changes_nothing_and_starts_nothing(lake):
    from lake.catalog import load_table
    from sarlake.workflows.urgent import evaluate_feed

    evaluate_feed(str(MARCH), run_id="r1")
    snapshot = load_table("events").current_snapshot().snapshot_id
    again = evaluate_feed(str(MARCH), run_id="r2")
    assert again["work"] == [] and again["counts"]["unchanged"] == 409
    assert load_table("events").current_snapshot().snapshot_id == snapshot


def test_revisions_update_the_event_without_duplicating_work(lake):
    from lake.events import set_processing
    from sarlake.workflows.urgent import evaluate_feed

    evaluate_feed(str(MARCH), run_id="r1")
    set_processing(["usc000ndnj"], "done")
    out = evaluate_feed(str(APRIL), run_id="r2")
    # both triggering events of March are revised in April (newer `updated`) and neither starts new work
    assert out["work"] == []
    march = {f["id"]: f["properties"]["updated"] for f in json.loads(MARCH.read_text())["features"]}
    april = {f["id"]: f["properties"]["updated"] for f in json.loads(APRIL.read_text())["features"]}
    assert out["counts"]["new"] == len(set(april) - set(march))
    assert out["counts"]["revised"] == sum(1 for k, v in april.items() if k in march and v > march[k])
    rows = _events(["usc000ndnj", "usc000nd0c", "usc000ncbl"])
    assert rows["usc000ndnj"]["processing"] == "done"
    assert "nothing new started" in rows["usc000ndnj"]["reason"]
    assert rows["usc000ndnj"]["run_id"] == "r2"
    assert rows["usc000ncbl"]["lon"] == -76.3088  # the revision's location replaced the old one
    assert len(_events()) == len(set(march) | set(april))


def test_a_deleted_event_cancels_its_pending_work(lake, tmp_path):
    from sarlake.workflows.urgent import evaluate_feed, plan_interferograms

    evaluate_feed(str(MARCH), run_id="r1")
    doc = json.loads(MARCH.read_text())
    feature = next(f for f in doc["features"] if f["id"] == "usc000nd0c")
    feature["properties"]["status"] = "deleted"
    feature["properties"]["updated"] += 60_000
    feed = tmp_path / "deleted.geojson"
    feed.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    out = evaluate_feed(str(feed), run_id="r2")
    assert out["cancelled"] == ["usc000nd0c"] and out["work"] == []
    row = _events(["usc000nd0c"])["usc000nd0c"]
    assert (row["decision"], row["processing"], row["status"]) == ("ignore", "cancelled", "deleted")
    # a run that planned the event before the deletion drops its pairs
    plan = {"event_id": "usc000nd0c", "status": "planned",
            "pairs": [{"event_id": "usc000nd0c", "aoi": "eq-usc000nd0c", "track": 44,
                       "pre": {"uri": "a"}, "post": {"uri": "b"}}]}
    assert plan_interferograms([plan], looks=4) == []


def test_malformed_feed_writes_nothing(lake, tmp_path):
    from sarlake.events import FeedError
    from sarlake.workflows.urgent import evaluate_feed

    feed = tmp_path / "truncated.geojson"
    feed.write_text(MARCH.read_text()[:20000])
    with pytest.raises(FeedError, match="truncated.geojson: not valid JSON"):
        evaluate_feed(str(feed))
    assert _events() == {}
