"""A pair of dates made twice enters a time series once.

After an operator reprocessed one interferogram (the browse UI's "Request reprocessing"), both versions were
usable and `sarlake timeseries` (and the timeseries DAG) stopped with exit 2: "... are the same pair". Truth:
the product_lineage default, the version numbers and the p(error) written into the lake here.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

D = date.fromisoformat


def _ifg(pid: str, ref: str | None, sec: str | None, *, track: int = 44, p_error: float | None = None,
         version: str = "0.1.0", status: str = "published") -> dict:
    return {"product_id": pid, "product_type": "L2_IFG", "aoi": "etna", "track": track,
            "start_time": datetime(2024, 1, 1, tzinfo=UTC), "reference_date": D(ref) if ref else None,
            "secondary_date": D(sec) if sec else None, "p_error": p_error, "version": version, "status": status,
            "met_uri": f"/lake/{pid}.met.json"}


def test_each_pair_of_a_track_enters_once_as_the_version_users_get_by_default(settings, caplog) -> None:
    from lake.catalog import init_lake
    from lake.write import upsert
    from sarlake.workflows.timeseries import select_interferograms, series_tracks

    init_lake(settings)
    upsert("products", [
        # reprocessed: the lineage's default (the better-scored) is used, whichever id sorts first
        _ifg("A-orig", "2024-01-15", "2024-01-03", p_error=0.30),
        _ifg("A-new", "2024-01-15", "2024-01-03", p_error=0.10),
        # the lineage's default is quarantined: the other version is the usable one
        _ifg("B-orig", "2024-01-27", "2024-01-15", p_error=0.20),
        _ifg("B-new", "2024-01-27", "2024-01-15", p_error=0.05, status="quarantined"),
        # two PGE versions, no lineage: the newer (0.10.0 is newer than 0.9.0)
        _ifg("C-v0_9_0", "2024-02-08", "2024-01-27", p_error=0.01, version="0.9.0"),
        _ifg("C-v0_10_0", "2024-02-08", "2024-01-27", p_error=0.20, version="0.10.0"),
        # the same pair from two processors of one version: the lower p(error)
        _ifg("D-roipac", "2024-02-20", "2024-02-08", p_error=0.25),
        _ifg("D-isce", "2024-02-20", "2024-02-08", p_error=0.15),
        # the same dates on another track are another pair
        _ifg("E-117", "2024-01-15", "2024-01-03", track=117), _ifg("F-117", "2024-01-27", "2024-01-15", track=117),
    ], settings)
    upsert("product_lineage", [
        {"product_id": "A-orig", "original_id": "A-orig", "p_error": 0.30, "is_default": False},
        {"product_id": "A-new", "original_id": "A-orig", "p_error": 0.10, "is_default": True},
        {"product_id": "B-orig", "original_id": "B-orig", "p_error": 0.20, "is_default": False},
        {"product_id": "B-new", "original_id": "B-orig", "p_error": 0.05, "is_default": True},
    ], settings)

    with caplog.at_level(logging.INFO, logger="sarlake.workflows.timeseries_select"):
        chosen = select_interferograms("etna", 0.5, track=44)
    assert chosen == [f"/lake/{p}.met.json" for p in ("A-new", "B-orig", "C-v0_10_0", "D-isce")]
    assert "3 other version(s) of a pair left out" in caplog.text  # B-new is not usable: quarantined
    assert "A-orig (the series uses A-new)" in caplog.text and "D-roipac (the series uses D-isce)" in caplog.text
    assert series_tracks("etna", 0.5) == {44: 4, 117: 2}
    # with the quarantined version let in, the lineage's default wins its pair
    assert "/lake/B-new.met.json" in select_interferograms("etna", 0.5, include_quarantined=True, track=44)


def test_interferograms_without_dates_are_never_taken_for_versions_of_one_pair(settings) -> None:
    from lake.catalog import init_lake
    from lake.write import upsert
    from sarlake.workflows.timeseries import select_interferograms

    init_lake(settings)
    upsert("products", [_ifg("X1", None, None), _ifg("X2", None, None), _ifg("X3", "2024-01-15", None)], settings)
    assert sorted(select_interferograms("etna", 0.5, track=44)) == [f"/lake/X{i}.met.json" for i in (1, 2, 3)]
