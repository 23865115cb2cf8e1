"""Simulated archive and pairing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lake.aoi import AOI
from lake.pairing import nearest_pairs
from lake.sources import AcquisitionSource, SimulatedArchive, frame_id, get_source, simulate_run_config

AOI_ = AOI(name="vesuvius", geometry_wkt="POLYGON EMPTY", bbox=(14.3, 40.7, 14.6, 40.9))
T0, T1 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)


def test_archive_is_deterministic_with_a_12_day_cadence(settings) -> None:
    source = get_source(settings)
    assert isinstance(source, AcquisitionSource)
    recs = source.search(AOI_, T0, T1)
    assert recs == SimulatedArchive(settings).search(AOI_, T0, T1)
    frame = frame_id(AOI_.bbox)
    assert len(frame) == 4
    assert recs[0].acquisition_id == f"SIM_S1_IW_SLC_A044_F{frame}_20240103T050000"
    assert recs[0].start_time == datetime(2024, 1, 3, 5, tzinfo=UTC)
    gaps = {b.start_time - a.start_time for a, b in zip(recs, recs[1:], strict=False)}
    assert gaps == {timedelta(days=12)} and len(recs) == 5
    acq_id = recs[0].acquisition_id
    assert recs[0].uri == f"{settings.archive_root}/044/{frame}/{acq_id}/{acq_id}.met.json"
    # a window starting mid-cycle finds the same dates
    later = source.search(AOI_, datetime(2024, 1, 10, tzinfo=UTC), T1)
    assert [r.acquisition_id for r in later] == [r.acquisition_id for r in recs[1:]]


def test_extra_tracks(settings) -> None:
    aoi = AOI_.model_copy(update={"tracks": [44, 117]})
    recs = SimulatedArchive(settings).search(aoi, T0, T1)
    assert {(r.track, r.direction) for r in recs} == {(44, "A"), (117, "D")}
    times = {r.start_time.time() for r in recs if r.track == 117}
    assert len(times) == 1


def test_simulate_run_config(settings) -> None:
    recs = SimulatedArchive(settings).search(AOI_, T0, T1)
    cfg = simulate_run_config(recs, settings, "run-1")
    p = cfg["parameters"]
    assert cfg["pge"] == "simulate" and cfg["run_id"] == "run-1" and cfg["inputs"] == []
    assert cfg["output_dir"] == f"{settings.archive_root}/044/{recs[0].frame}"
    assert p["bbox"] == [14.3, 40.7, 14.6, 40.9] and p["track"] == 44 and p["direction"] == "A"
    assert p["acquisitions"][0] == {"id": recs[0].acquisition_id, "start_time": "2024-01-03T05:00:00Z"}
    assert p["deformation"][0]["kind"] == "mogi"  # a known signal under every simulated AOI
    with pytest.raises(ValueError):
        simulate_run_config([], settings, "r")


def test_nearest_pairs(settings) -> None:
    recs = SimulatedArchive(settings).search(AOI_, T0, T1)  # 5 dates
    pairs = nearest_pairs(recs, 2)
    assert len(pairs) == 4 + 3  # 4 one-hop + 3 two-hop
    assert all(p.reference_date > p.secondary_date for p in pairs)
    assert {p.temporal_baseline_days for p in pairs} == {12, 24}
    first = pairs[0]
    assert (first.secondary_id, first.reference_id) == (recs[0].acquisition_id, recs[1].acquisition_id)
    assert len(nearest_pairs(recs, 1)) == 4 and len(nearest_pairs(recs, 10)) == 10
    assert nearest_pairs([], 2) == []
    with pytest.raises(ValueError):
        nearest_pairs(recs, 0)


def test_pairs_stay_within_a_track() -> None:
    def acq(i: str, track: int, day: int) -> dict:
        return {"acquisition_id": i, "track": track, "direction": "A", "frame": "f",
                "start_time": datetime(2024, 1, day, tzinfo=UTC)}

    pairs = nearest_pairs([acq("a", 1, 1), acq("b", 2, 2), acq("c", 1, 13), acq("d", 2, 14)], 3)
    assert {(p.secondary_id, p.reference_id) for p in pairs} == {("a", "c"), ("b", "d")}
