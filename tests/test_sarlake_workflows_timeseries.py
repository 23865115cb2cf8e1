"""A time series over interferograms already rolled to the DAAC archive: restored on demand, or a clear stop.

Truth: the ingested Sydney files' own bytes (sha256 taken here before the roll), the DAAC's ledger, and the
files on disk; the time series PGE reading the restored copies is the proof they are readable where the
catalogue says.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

SYD = Path(__file__).parent / "data" / "envisat_sydney_roipac"
LATER = datetime.now(UTC) + timedelta(days=40)  # past the 30-day hot retention


def _cli(*args):
    from sarlake.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args])


def _l2(settings) -> dict[str, dict]:
    from lake.catalog import load_table

    rows = load_table("products", settings).scan().to_arrow().to_pylist()
    return {r["product_id"]: r for r in rows if r["product_type"] == "L2_IFG"}


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_timeseries_restores_archived_interferograms_or_names_them(settings, tmp_path, monkeypatch) -> None:
    from lake.archive_roll import run_roll
    from sarlake.workflows.daac_simulator import SimulatedDaac

    # five pairs that connect their four dates (a series takes the largest connected network of dates)
    unw = [SYD / "roipac_unw" / f"geo_{p}.unw" for p in ("061002-070219", "061002-070430", "070219-070430",
                                                         "070219-070604", "070430-070604")]
    assert _cli("init").exit_code == 0
    assert _cli("aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1").exit_code == 0
    assert _cli("ingest", *unw, "--aoi", "sydney").exit_code == 0
    hot = {pid: _tree(Path(r["uri"])) for pid, r in _l2(settings).items()}
    assert len(hot) == 5 and all(hot.values())
    daac = SimulatedDaac(tmp_path / "daac-state", settings)
    run_roll(settings, now=LATER)
    daac.serve_folder()
    run_roll(settings, now=LATER)
    rolled = _l2(settings)
    assert {r["tier"] for r in rolled.values()} == {"archive"}
    assert not any((Path(settings.products_root) / pid).exists() for pid in hot)

    # Restores switched off: a one-line stop naming the products and the command; nothing restored.
    monkeypatch.setenv("SARLAKE_DAAC__RESTORE_ON_DEMAND", "false")
    stopped = _cli("timeseries", "sydney")
    assert stopped.exit_code != 0
    assert "sarlake archive restore" in stopped.output and all(pid in stopped.output for pid in hot)
    assert {r["tier"] for r in _l2(settings).values()} == {"archive"}
    monkeypatch.delenv("SARLAKE_DAAC__RESTORE_ON_DEMAND")

    # Default: brought back for the cache time to live, byte for byte, and the time series reads them there.
    made = _cli("timeseries", "sydney")
    assert made.exit_code == 0, made.output
    after = _l2(settings)
    for pid, files in hot.items():
        row = after[pid]
        assert row["tier"] == "cached" and row["uri"] == str(Path(settings.products_root) / pid)
        assert timedelta(days=6.9) < row["cache_expires_at"] - datetime.now(UTC) <= timedelta(days=7)
        assert _tree(Path(row["uri"])) == files
    from lake.catalog import load_table

    prov = [r for r in load_table("provenance", settings).scan().to_arrow().to_pylist()
            if r["pge_name"] == "timeseries"]
    inputs = {i for r in prov for i in r["inputs"]}
    assert inputs == {after[pid]["met_uri"] for pid in hot}  # the hot copies, not the archive
    assert len(daac.ingested()) == 5 and not any(e["repeat"] for e in daac.ingested())


def test_a_series_takes_the_largest_network_of_dates_and_leaves_the_disconnected_rest_out(settings, caplog) -> None:
    """On-demand products of 2024 and forward ones of 2026 on one AOI share no date: the timeseries DAG made one
    series of both, with no velocity in any pixel, and published it."""
    from datetime import date

    from lake.catalog import init_lake
    from lake.write import upsert
    from sarlake.workflows.timeseries import largest_network, select_interferograms

    d = date.fromisoformat
    old = [(d("2024-01-15"), d("2024-01-03")), (d("2024-01-27"), d("2024-01-15"))]
    new = [(d("2026-10-05"), d("2026-09-23")), (d("2026-10-17"), d("2026-10-05")), (d("2026-10-17"), d("2026-09-23"))]
    assert largest_network(old + new) == [2, 3, 4]  # 3 dates against 3: more interferograms
    assert largest_network(new[:2] + old) == [0, 1]  # 3 dates and 2 pairs each: the latest date decides
    assert largest_network([*old, (None, d("2024-01-03"))]) == [0, 1, 2]  # a pair it cannot place: all kept
    init_lake(settings)
    upsert("products", [{"product_id": f"IFG{i}", "product_type": "L2_IFG", "aoi": "etna", "start_time":
                         datetime(2024, 1, 1, tzinfo=UTC), "reference_date": ref, "secondary_date": sec,
                         "met_uri": f"/lake/IFG{i}.met.json"} for i, (ref, sec) in enumerate(old + new)], settings)
    with caplog.at_level("WARNING"):
        assert select_interferograms("etna", 0.5) == [f"/lake/IFG{i}.met.json" for i in (2, 4, 3)]
    assert "2 of 5 usable interferograms share no date with the largest network of dates" in caplog.text
    assert "IFG0, IFG1" in caplog.text


def test_an_aoi_seen_from_two_tracks_gets_a_series_per_track_never_one_of_both(settings) -> None:
    """An AOI covered by an ascending and a descending track: the timeseries DAG inverted all its interferograms
    together, two lines of sight in one SBAS system, and `sarlake timeseries` did the same."""
    from datetime import date

    import pytest

    from lake.write import upsert
    from pges.errors import InputValidationError
    from sarlake.workflows.timeseries import plan_series, plan_timeseries, select_interferograms, series_tracks

    assert _cli("init").exit_code == 0
    assert _cli("aoi", "add", "etna", "--bbox", "14.8", "37.6", "15.2", "37.9").exit_code == 0
    d = date.fromisoformat
    pairs = {44: [("2024-01-15", "2024-01-03"), ("2024-01-27", "2024-01-15"), ("2024-01-27", "2024-01-03")],
             117: [("2024-01-20", "2024-01-08"), ("2024-02-01", "2024-01-20")]}
    rows = [{"product_id": f"IFG{track}-{i}", "product_type": "L2_IFG", "aoi": "etna", "track": track,
             "direction": "ascending" if track == 44 else "descending", "start_time": datetime(2024, 1, 1, tzinfo=UTC),
             "reference_date": d(ref), "secondary_date": d(sec), "met_uri": f"/lake/IFG{track}-{i}.met.json"}
            for track, ps in pairs.items() for i, (ref, sec) in enumerate(ps)]
    upsert("products", rows, settings)

    assert series_tracks("etna", 0.5) == {44: 3, 117: 2}
    assert select_interferograms("etna", 0.5, track=117) == ["/lake/IFG117-0.met.json", "/lake/IFG117-1.met.json"]
    with pytest.raises(InputValidationError) as exc:
        plan_timeseries("etna", 0.5)
    assert "AOI 'etna' has usable interferograms of 2 tracks (track 44: 3, track 117: 2)" in str(exc.value)
    assert "--track" in str(exc.value)
    refused = _cli("timeseries", "etna")
    assert refused.exit_code == 2 and "2 tracks (track 44: 3, track 117: 2)" in refused.output

    configs = plan_series("etna", 0.5)
    assert sorted(sorted(c["inputs"]) for c in configs) == sorted(
        sorted(r["met_uri"] for r in rows if r["track"] == t) for t in pairs)
    one = plan_timeseries("etna", 0.5, track=44)
    assert one is not None and sorted(one["inputs"]) == sorted(r["met_uri"] for r in rows if r["track"] == 44)


def test_an_archived_series_asked_for_again_is_named_not_made_again_beside_its_archive(settings, tmp_path) -> None:
    """`sarlake timeseries` over the same interferograms and settings as an archived series made it again: a hot
    copy the catalogue did not point at (it kept the archived location), which `archive verify` reported as a stale
    hot copy until the next roll. Truth: the DAAC's ledger, the files on disk, `archive verify`."""
    from lake.archive_roll import run_roll
    from lake.archive_verify import verify_archive
    from lake.catalog import load_table
    from lake.verify import verify as verify_lake
    from pges import __version__
    from sarlake.workflows.daac_simulator import SimulatedDaac
    from sarlake.workflows.timeseries import archived_same_version

    unw = [SYD / "roipac_unw" / f"geo_{p}.unw" for p in ("061002-070219", "061002-070430", "070219-070430")]
    assert _cli("init").exit_code == 0
    assert _cli("aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1").exit_code == 0
    assert _cli("ingest", *unw, "--aoi", "sydney").exit_code == 0
    made = _cli("timeseries", "sydney")
    assert made.exit_code == 0, made.output
    series = made.stdout.split()[0]
    assert series.startswith("L3-TS-SYDNEY-")
    (hot,) = [Path(r["uri"]) for r in load_table("products", settings).scan().to_arrow().to_pylist()
              if r["product_id"] == series]
    assert (hot / f"{series}.met.json").is_file()
    daac = SimulatedDaac(tmp_path / "daac-state", settings)
    run_roll(settings, now=LATER)
    daac.serve_folder()
    run_roll(settings, now=LATER)
    tiers = {r["product_id"]: r for r in load_table("products", settings).scan().to_arrow().to_pylist()}
    assert {r["tier"] for r in tiers.values()} == {"archive"}
    assert tiers[series]["version"] == __version__  # the version that made it (was null: never a new version)
    assert len(daac.ingested()) == 4  # the 3 interferograms and the series (no coherence given: no L3_COH)
    assert not hot.exists()

    again = _cli("timeseries", "sydney")
    assert again.exit_code == 0, again.output
    assert again.stdout.split() == [series]
    assert (f"AOI sydney: the time series of these 3 interferograms and settings is {series}, archived at "
            f"{tiers[series]['met_uri']}: not made again (`sarlake archive restore {series}` caches a copy back)"
            ) in again.stderr
    assert not hot.exists()
    assert verify_archive(settings) == []
    after = {r["product_id"]: r["tier"] for r in load_table("products", settings).scan().to_arrow().to_pylist()}
    assert set(after.values()) == {"archive"}  # nothing restored for a series that is not made
    # another PGE version makes another version of it, which is a new delivery (lake.catalogue: hot again)
    assert archived_same_version({**tiers[series], "version": __version__})
    assert not archived_same_version({**tiers[series], "version": "0.0.0-older"})
    assert not archived_same_version({**tiers[series], "tier": "hot"})

    # cached back from the archive (at <products_root>/<id>): named as such, not made again in its first folder
    assert _cli("archive", "restore", series).exit_code == 0
    (cached,) = [r for r in load_table("products", settings).scan().to_arrow().to_pylist()
                 if r["product_id"] == series]
    assert cached["tier"] == "cached" and Path(cached["met_uri"]).is_file()
    again = _cli("timeseries", "sydney")
    assert again.exit_code == 0, again.output
    assert (f"the time series of these 3 interferograms and settings is {series}, cached from the archive at "
            f"{cached['met_uri']}: not made again") in again.stderr
    assert not hot.exists()
    assert verify_lake(settings).consistent
