"""`sarlake timeseries` with the science flags: GNSS geometry from flags, reruns that do not overwrite."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

DATA = Path(__file__).parent / "data"
SYD = DATA / "envisat_sydney_roipac"
LHAS = str(DATA / "gnss" / "LHAS.tenv3")


def _cli(*args):
    from sarlake.cli import cli

    return CliRunner().invoke(cli, list(args))


def _sql(query: str) -> list[dict]:
    return json.loads(_cli("sql", query, "--format", "json").output)


def test_timeseries_flags_gnss_and_reruns(settings):
    unw = sorted((SYD / "roipac_unw").glob("*.unw"))
    assert _cli("init").exit_code == 0
    assert _cli("aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1").exit_code == 0
    assert _cli("ingest", *map(str, unw), "--coherence-dir", str(SYD / "gamma_coherence"), "--aoi", "sydney",
                "--mission", "envisat").exit_code == 0
    no_geometry = _cli("timeseries", "sydney", "--gnss", LHAS)
    assert no_geometry.exit_code == 2 and "--incidence" in no_geometry.output  # ingested ROI_PAC has no incidence
    off_grid = _cli("timeseries", "sydney", "--gnss", LHAS, "--incidence", "23", "--heading", "-168",
                    "--gnss-reference", "LHAS")
    assert off_grid.exit_code == 2 and "LHAS" in off_grid.output
    assert "Invalid value for '--gnss-reference'" in " ".join(off_grid.output.split())
    unknown = _cli("timeseries", "sydney", "--gnss", LHAS, "--incidence", "23", "--heading", "-168",
                   "--gnss-reference", "NOPE")
    assert unknown.exit_code == 2, unknown.output
    assert ("Invalid value for '--gnss-reference': station 'NOPE' is in none of the GNSS series given (LHAS)"
            in " ".join(unknown.output.split())), unknown.output
    ok = _cli("timeseries", "sydney", "--gnss", LHAS, "--incidence", "23", "--heading", "-168",
              "--stratified", "--dem", str(SYD / "roipac_test_trimmed.tif"))
    assert ok.exit_code == 0, ok.output
    # a station asked for is answered on the terminal, not only in the met.json (it printed nothing of it)
    assert "GNSS LHAS (LHAS.tenv3): outside the interferogram grid; not compared" in ok.output
    other = _cli("timeseries", "sydney", "--min-temporal-coherence", "0.5")
    assert other.exit_code == 0, other.output
    rows = _sql("SELECT product_id, product_type, met_uri FROM products WHERE product_type LIKE 'L3%' "
                "ORDER BY product_id")
    assert sorted(r["product_type"] for r in rows) == ["L3_COH", "L3_COH", "L3_TS", "L3_TS"]  # both runs kept
    ts = [json.loads(Path(r["met_uri"]).read_text())["properties"] for r in rows if r["product_type"] == "L3_TS"]
    gnss = next(p for p in ts if p["sarlake:gnss_comparison"])["sarlake:gnss_comparison"]
    assert gnss[0]["station"] == "LHAS" and gnss[0]["status"] == "outside the interferogram grid"
    assert {p["sarlake:masking"]["min_temporal_coherence"] for p in ts} == {0.7, 0.5}


def test_pge_run_timeseries_catalogues_its_products(settings, tmp_path):
    import yaml

    unw = sorted((SYD / "roipac_unw").glob("*.unw"))[:6]
    assert _cli("init").exit_code == 0
    assert _cli("aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1").exit_code == 0
    assert _cli("ingest", *map(str, unw), "--aoi", "sydney").exit_code == 0
    mets = [r["met_uri"] for r in _sql("SELECT met_uri FROM products WHERE product_type = 'L2_IFG'")]
    rc = tmp_path / "rc.yaml"
    rc.write_text(yaml.safe_dump({"pge": "timeseries", "inputs": mets, "output_dir": str(tmp_path / "out"),
                                  "parameters": {"aoi": "sydney"}}))
    result = _cli("pge", "run", "timeseries", "--run-config", str(rc))
    assert result.exit_code == 0, result.output
    rows = _sql("SELECT product_id FROM products WHERE product_type = 'L3_TS'")
    assert [r["product_id"] for r in rows] == [result.output.strip().splitlines()[-1]]
    assert _sql("SELECT count(*) AS n FROM provenance WHERE product_id LIKE 'L3-TS-%'")[0]["n"] == 1


def test_too_few_pairs_says_versions_of_one_pair_count_once(settings, tmp_path):
    """One Sydney pair ingested as ROI_PAC unwrapped it and unwrapped here from its wrapped phase: two
    interferograms of one pair of dates. The refusal said they "share no date: no two of them form a connected
    network", when they share both. Truth: the file names' dates."""
    from test_cli_unwrap_s3 import _wrap

    unw = SYD / "roipac_unw" / "geo_060619-061002.unw"
    assert _cli("init").exit_code == 0
    assert _cli("aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1").exit_code == 0
    assert _cli("ingest", str(unw), "--aoi", "sydney").exit_code == 0
    one = _cli("timeseries", "sydney")
    assert one.exit_code == 2
    assert ("has 1 usable interferogram(s); a time series needs at least 2 (make or ingest interferograms of other "
            "pairs)") in one.output
    wrapped, _ = _wrap(unw, tmp_path / "ints")
    assert _cli("unwrap", str(wrapped), "--aoi", "sydney").exit_code == 0
    two = _cli("timeseries", "sydney")
    assert two.exit_code == 2
    assert ("has 1 usable interferogram(s); a time series needs at least 2 (its 2 interferograms are versions of 1 "
            "pair of dates, which counts once: make or ingest interferograms of other pairs)") in two.output


def test_each_gnss_station_compared_gets_a_line_with_its_rates_from_the_met_json(tmp_path):
    from sarlake.cli.timeseries import gnss_lines

    met = tmp_path / "ts.met.json"
    met.write_text(json.dumps({"properties": {"sarlake:gnss_comparison": [
        {"station": "SYDN", "file": "SYDN.tenv3", "status": "ok", "gnss_window": "stack span", "insar_mm_yr": -3.21,
         "gnss_los_mm_yr": -2.5, "gnss_sigma_mm_yr": 0.44, "difference_mm_yr": -0.71},
        {"station": "FAR", "file": "FAR.pos", "status": "no InSAR velocity at the station"}]}}))
    coherence = tmp_path / "coh.met.json"
    coherence.write_text(json.dumps({"properties": {}}))  # the L3_COH product has no comparison
    assert gnss_lines([str(met), str(coherence)]) == [
        "GNSS SYDN: InSAR -3.2 mm/yr, GNSS along the line of sight -2.5 +- 0.4 mm/yr (stack span), InSAR - GNSS "
        "-0.7 mm/yr (InSAR relative to its reference)",
        "GNSS FAR (FAR.pos): no InSAR velocity at the station; not compared"]
