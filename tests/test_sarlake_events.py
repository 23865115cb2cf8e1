"""The urgent-response evaluator on real USGS feeds (tests/data/earthquakes, see SOURCES.md there).

The expected triggers below were derived by hand from the feeds and the default rules (M >= 7; or M >= 6
with PAGER yellow or worse; or PAGER red; depth <= 70 km), listing each feed's events with M >= 6 or an
alert above green:

* significant_month (2023-10-11): us6000len8 M6.3 red 9 km -> trigger (red); us6000ldpm M6.3 orange 10 km and
  us6000ldpg M6.3 orange 14 km -> trigger (M>=6 and orange); us6000ldqf M6.9 green, us6000ldqd M6.7 green,
  us6000lcri, us7000kwg2, us7000kv90 (M6.3-6.4 green) -> ignore; the yellow events are all below M6 -> ignore.
* 4.5_month (2014-03-21 and 2014-04-01): usc000ndnj M6.7 yellow 20 km and usc000nd0c M6.3 yellow 9.8 km ->
  trigger; every other M>=6 event is green; ci15481673 (2014-04-01 only) is yellow but M5.1 -> ignore.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from sarlake.events import FeedError, Rules, TrackFootprint, aoi_radius_km, evaluate, parse_feed, read_feed

DATA = Path(__file__).parent / "data" / "earthquakes"
SIGNIFICANT = DATA / "naseemao_significant_month.geojson"
MARCH = DATA / "utero_4.5_month_20140321.geojson"
APRIL = DATA / "utero_4.5_month_20140401.geojson"

EXPECTED_TRIGGERS = {
    SIGNIFICANT: {"us6000len8", "us6000ldpm", "us6000ldpg"},
    MARCH: {"usc000ndnj", "usc000nd0c"},
    APRIL: {"usc000ndnj", "usc000nd0c"},
}


def _haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@pytest.mark.parametrize("feed", list(EXPECTED_TRIGGERS), ids=lambda p: p.stem)
def test_default_rules_trigger_the_hand_derived_events(feed: Path) -> None:
    events = read_feed(feed)
    assert len(events) == json.loads(feed.read_text())["metadata"]["count"]
    decisions = [evaluate(e) for e in events]
    assert {d.event_id for d in decisions if d.triggered} == EXPECTED_TRIGGERS[feed]
    assert all(d.reason for d in decisions)


def test_reasons_name_the_rule_that_decided() -> None:
    by_id = {e.event_id: evaluate(e) for e in read_feed(SIGNIFICANT) + read_feed(APRIL)}
    assert by_id["us6000len8"].reason.startswith("PAGER red")
    assert "M6.3 >= 6 with PAGER orange" in by_id["us6000ldpm"].reason
    assert by_id["us6000ldqf"].reason.startswith("depth 76.011 km > 70 km")  # M6.9 green, and deep
    assert by_id["us6000ldqd"].reason == "M6.7 < 7 and PAGER green (below yellow)"
    assert by_id["ci15481673"].reason == "M5.1 < 6 and PAGER yellow"
    assert by_id["usb000n1ex"].reason.startswith("depth 636.76 km")


def test_configured_rules_change_the_triggers() -> None:
    # M >= 6.5 alone, hypocentres down to 700 km: by hand from the 2014-04-01 list above.
    rules = Rules(min_magnitude=6.5, max_depth_km=700)
    got = {e.event_id for e in read_feed(APRIL) if evaluate(e, rules).triggered}
    assert got == {"usc000nqnq", "usc000njrq", "usc000ndnj", "usc000nd0c", "nc72182046", "usb000mzmn"}
    regional = Rules(regions=[{"name": "chile", "bbox": (-76, -56, -66, -17)}])
    got = {e.event_id for e in read_feed(APRIL) if evaluate(e, regional).triggered}
    assert got == {"usc000ndnj"}  # usc000nd0c (-80.9, -5.6) is off Peru, outside the region


def test_aoi_is_a_circle_of_radius_m_minus_5_over_2_times_150_km() -> None:
    event = next(e for e in read_feed(APRIL) if e.event_id == "usc000ndnj")  # M6.7
    decision = evaluate(event)
    assert decision.radius_km == pytest.approx(127.5) == aoi_radius_km(6.7)
    from shapely import from_wkt

    ring = from_wkt(decision.aoi_wkt).exterior.coords
    distances = [_haversine_km(event.lon, event.lat, x, y) for x, y in ring]
    assert min(distances) == pytest.approx(127.5, abs=0.1) and max(distances) == pytest.approx(127.5, abs=0.1)
    start, end = decision.window
    assert (event.time - start).days == 30 and (end - event.time).days == 30


def test_only_tracks_whose_footprint_intersects_the_aoi() -> None:
    event = next(e for e in read_feed(APRIL) if e.event_id == "usc000ndnj")  # -70.6278, -19.9246, r 127.5 km
    # One degree of longitude at 19.92 S is 104.67 km: a strip whose east edge (-71.4) is 0.772 deg west of the
    # epicentre is 80.8 km away (inside the AOI); one at -72.0 (1.372 deg) is 143.6 km away (outside).
    near = TrackFootprint(track=156, direction="D",
                          footprint_wkt="POLYGON((-72.5 -25, -71.4 -25, -71.4 -15, -72.5 -15, -72.5 -25))")
    far = TrackFootprint(track=18, direction="A",
                         footprint_wkt="POLYGON((-73.5 -25, -72.0 -25, -72.0 -15, -73.5 -15, -73.5 -25))")
    assert evaluate(event, Rules(tracks=[near, far])).tracks == [(156, "D")]
    only_far = evaluate(event, Rules(tracks=[far]))
    assert not only_far.triggered and "no configured track covers" in only_far.reason


def test_revisions_are_the_same_id_with_a_newer_updated() -> None:
    march = {e.event_id: e for e in read_feed(MARCH)}
    april = {e.event_id: e for e in read_feed(APRIL)}
    ndnj_m, ndnj_a = march["usc000ndnj"], april["usc000ndnj"]
    assert ndnj_a.updated > ndnj_m.updated and ndnj_a.time == ndnj_m.time
    # usc000ncbl moved 1.2 km between the two versions of the feed
    assert march["usc000ncbl"].lon == -76.2968 and april["usc000ncbl"].lon == -76.3088
    assert len(set(march) & set(april)) > 100


def test_deleted_and_non_earthquake_events_are_ignored() -> None:
    feature = json.loads(SIGNIFICANT.read_text())["features"][0]  # us6000len8, a trigger
    feature["properties"]["status"] = "deleted"
    assert evaluate(parse_feed(json.dumps(feature))[0]).reason.startswith("deleted by the feed")
    feature["properties"]["status"] = "reviewed"
    feature["properties"]["type"] = "quarry blast"
    assert "not one of earthquake" in evaluate(parse_feed(json.dumps(feature))[0]).reason


def test_fdsn_text_output_is_read() -> None:
    # FDSN format=text rows holding the values of two events of the 2014-04-01 feed.
    text = (
        "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|MagType|Magnitude|"
        "MagAuthor|EventLocationName|EventType\n"
        "usc000ndnj|2014-03-16T21:16:29.600Z|-19.9246|-70.6278|20.0|us|us|us|usc000ndnj|mww|6.7|us|"
        "60km WNW of Iquique, Chile|earthquake\n"
        "nc72182046|2014-03-10T05:18:13.430Z|40.8287|-125.1338|16.6|nc|nc|nc|nc72182046|mw|6.8|nc|"
        "Offshore Northern California|earthquake\n"
    )
    events = parse_feed(text, name="fdsn.txt")
    assert [e.event_id for e in events] == ["usc000ndnj", "nc72182046"]
    assert events[0].magnitude == 6.7 and events[0].depth_km == 20.0 and events[0].alert is None
    # no PAGER alert in FDSN text: M6.7 alone does not trigger
    assert not evaluate(events[0]).triggered


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda text: text[:5000], "not valid JSON"),
        (lambda text: text.replace('"time":1395413151830,', ""), "properties.time is missing"),
        (lambda text: text.replace('"mag":5,', '"mag":"five",'), "properties.mag is 'five'"),
        (lambda text: text.replace('"coordinates":[94.251,7.5645,10]', '"coordinates":[94.251]'),
         "geometry.coordinates"),
        (lambda text: text.replace('"type":"FeatureCollection"', '"type":"Topology"'), "expected 'FeatureCollection'"),
    ],
    ids=["truncated", "missing-time", "mag-string", "short-coordinates", "wrong-type"],
)
def test_malformed_feeds_raise_a_clear_error(tmp_path: Path, mutate, message: str) -> None:
    text = MARCH.read_text()
    bad = mutate(text)
    assert bad != text, "the mutation must change the feed"
    path = tmp_path / "bad.geojson"
    path.write_text(bad)
    with pytest.raises(FeedError, match="bad.geojson") as info:
        read_feed(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    if message != "not valid JSON" and message != "expected 'FeatureCollection'":
        assert "features[0] (usc000njtg)" in str(info.value)


def test_missing_file_is_a_feed_error(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="cannot read the feed"):
        read_feed(tmp_path / "nope.geojson")


def test_cli_evaluate_prints_one_line_per_event_and_writes_nothing(sarlake_home: Path) -> None:
    from click.testing import CliRunner

    from sarlake.cli import cli

    result = CliRunner().invoke(cli, ["events", "evaluate", str(SIGNIFICANT)])
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.output.splitlines()]
    assert len(lines) == 18
    assert {line[0] for line in lines if line[1] == "trigger"} == EXPECTED_TRIGGERS[SIGNIFICANT]
    assert {line[1] for line in lines} == {"trigger", "ignore"}
    # then what the event is, as the feed has it (USGS: us6000len8, 2023-10-11T00:41:56.160Z, mww 6.3)
    assert lines[0] == ["us6000len8", "trigger", "PAGER red (>= red triggers at any magnitude); AOI radius 97.5 km",
                        "2023-10-11 00:41 UTC", "M6.3", "western Afghanistan"]
    assert not sarlake_home.exists(), "evaluate must have no side effects"

    result = CliRunner().invoke(cli, ["events", "evaluate", "--json", str(MARCH)])
    records = [json.loads(line) for line in result.output.splitlines()]
    assert {r["id"] for r in records if r["decision"] == "trigger"} == EXPECTED_TRIGGERS[MARCH]
    ndnj = next(r for r in records if r["id"] == "usc000ndnj")
    assert ndnj["radius_km"] == 127.5
    assert (ndnj["magnitude"], ndnj["place"]) == (6.7, "60km WNW of Iquique, Chile")
    assert ndnj["time"] == "2014-03-16T21:16:30.770000+00:00"  # the feed's epoch ms 1395004590770


def test_cli_evaluate_refuses_a_malformed_feed_with_exit_2(tmp_path: Path, sarlake_home: Path) -> None:
    from click.testing import CliRunner

    from sarlake.cli import cli

    bad = tmp_path / "cut.geojson"
    bad.write_text(MARCH.read_text()[:1000])
    result = CliRunner().invoke(cli, ["events", "evaluate", str(bad)])
    assert result.exit_code == 2
    assert "error: " in result.output and "cut.geojson: not valid JSON" in result.output


def test_cli_rules_come_from_settings(monkeypatch, sarlake_home: Path) -> None:
    from click.testing import CliRunner

    from sarlake.cli import cli

    monkeypatch.setenv("SARLAKE_URGENT__RULES", json.dumps({"min_magnitude": 6.5, "max_depth_km": 700}))
    result = CliRunner().invoke(cli, ["events", "evaluate", str(APRIL)])
    got = {line.split("\t")[0] for line in result.output.splitlines() if "\ttrigger\t" in line}
    assert got == {"usc000nqnq", "usc000njrq", "usc000ndnj", "usc000nd0c", "nc72182046", "usb000mzmn"}
    monkeypatch.setenv("SARLAKE_URGENT__RULES", json.dumps({"min_magnitud": 6.5}))
    result = CliRunner().invoke(cli, ["events", "evaluate", str(APRIL)])
    assert result.exit_code == 2 and "SARLAKE_URGENT__RULES: min_magnitud" in result.output


def test_init_leaves_an_empty_default_feed_so_a_fresh_stack_watches_quietly(sarlake_home: Path, monkeypatch) -> None:
    """On a fresh stack the watcher polled <home>/feeds/events.geojson, which nothing made: an error in the
    triggerer's log every poll, and urgent_response triggered on its defaults failed. `sarlake init` (run by
    `make up` and `make demo`) leaves an empty feed there; a feed configured elsewhere is never made."""
    from click.testing import CliRunner

    from lake.settings import get_settings
    from sarlake.cli import cli

    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    feed = sarlake_home / "feeds" / "events.geojson"
    assert get_settings().urgent.feed_url == str(feed)
    assert read_feed(str(feed)) == []
    feed.write_text(json.dumps({"type": "FeatureCollection", "features": [], "note": "the operator's"}))
    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    assert "the operator's" in feed.read_text()  # an existing feed is left as it is

    elsewhere = sarlake_home / "usgs.geojson"
    monkeypatch.setenv("SARLAKE_URGENT__FEED_URL", str(elsewhere))
    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    assert not elsewhere.exists()


def test_an_aoi_across_the_antimeridian_keeps_the_epicentres_side_and_says_what_it_leaves_out() -> None:
    """An M7 (radius 150 km) at 179.5 E, 17 S (Fiji): the circle reaches past 180 degrees; the processed box stops
    there, which the decision now says instead of clipping in silence."""
    event = next(e for e in read_feed(APRIL) if e.event_id == "usc000ndnj")
    fiji = dataclasses.replace(event, lon=179.5, lat=-17.0, magnitude=7.0)
    decision = evaluate(fiji)
    assert decision.triggered
    w, s, e, n = decision.bbox
    assert e == 180.0
    assert w < 179.5 < e
    # 150 km is 1.349 degrees of arc; at 17 S the circle's widest longitude is asin(sin 1.349 / cos 17) = 1.411
    # degrees from the epicentre, so 0.91 of them lie beyond 180
    assert "the AOI crosses the antimeridian: its 0.91 degrees of longitude beyond 180 are not processed" \
        in decision.reason
    assert "antimeridian" not in evaluate(event).reason
