"""`sarlake unwrap --pair`: one pair of the inputs (a folder of real Sydney pairs, wrapped from ROI_PAC's phase).

Without it, a folder or a stack (a MintPy file holds every pair) could only be unwrapped whole; the reprocess
workflow re-unwraps one product of such an input with it. Truth: the dates in ROI_PAC's file names and ROI_PAC's
own unwrapped phase of the pair.
"""

from __future__ import annotations

from pathlib import Path

from test_cli_ingest_options import UNW, _cli, _lake, _sql
from test_cli_unwrap_s3 import _wrap, assert_no_cycle_lost


def test_only_the_pair_asked_for_is_unwrapped_whichever_order_its_dates_are_given_in(settings, tmp_path):
    _lake()
    truth = {unw.name: _wrap(unw, tmp_path / "stack")[1] for unw in UNW[:2]}  # geo_060619-061002, geo_060828-061211
    out = _cli("unwrap", str(tmp_path / "stack"), "--aoi", "sydney", "--pair", "20060828_20061211")
    assert out.exit_code == 0, out.output
    (row,) = _sql("SELECT reference_date, secondary_date, met_uri FROM products")
    assert (str(row["reference_date"]), str(row["secondary_date"])) == ("2006-12-11", "2006-08-28")
    assert_no_cycle_lost(Path(row["met_uri"]).parent, truth["geo_060828-061211.unw"])


def test_a_pair_no_input_holds_is_refused_with_the_pairs_they_hold_and_nothing_is_made(settings, tmp_path):
    _lake()
    for unw in UNW[:2]:
        _wrap(unw, tmp_path / "stack")
    out = _cli("unwrap", str(tmp_path / "stack"), "--pair", "20061002_20060619", "--pair", "20990101_20990202")
    assert out.exit_code == 2, out.output
    assert ("Invalid value for '--pair': pair 20990101_20990202 is in no input; they hold 20061002_20060619, "
            "20061211_20060828") in out.output
    assert _sql("SELECT product_id FROM products") == []
    out = _cli("unwrap", str(tmp_path / "stack"), "--pair", "2006-10-02")
    assert out.exit_code == 2, out.output
    assert ("Invalid value for '--pair': '2006-10-02' is not a pair of dates YYYYMMDD_YYYYMMDD"
            in out.output), out.output
    # GMTSAR names the pair's folder YYYYDDD_YYYYDDD with day 0 the first of January (its Sentinel-1 test scene of
    # 2015-05-26 has SC_clock_start 2015145.076): 2 October 2006 is day 274, 19 June day 169
    out = _cli("unwrap", str(tmp_path / "stack"), "--pair", "2006274_2006169")
    assert out.exit_code == 2, out.output
    assert ("'2006274_2006169' is not a pair of dates YYYYMMDD_YYYYMMDD (e.g. 20061002_20060619); as a GMTSAR folder "
            "name (YYYYDDD, day 0 = 1 January) it is 20061002_20060619: give that") in " ".join(out.output.split())
    assert _sql("SELECT product_id FROM products") == []


def test_one_coherence_file_goes_with_the_one_pair_asked_for_of_a_folder(settings, tmp_path):
    """--coherence with a folder was refused ("for one interferogram, but 2 are given") before --pair chose one of
    its pairs. Truth: the GAMMA coherence file of that pair, named in the product and its provenance."""
    import json

    from test_cli_ingest_options import DATA

    _lake()
    for unw in UNW[:2]:
        _wrap(unw, tmp_path / "stack")
    coh = DATA / "gamma_coherence" / "20060619-20061002_utm.unw.cc"
    both = _cli("unwrap", str(tmp_path / "stack"), "--aoi", "sydney", "--coherence", str(coh),
                "--pair", "20060619_20061002", "--pair", "20060828_20061211")
    assert both.exit_code == 2, both.output
    assert "coherence names one file, for one interferogram, but 2 are given (the pairs asked for)" in both.output
    out = _cli("unwrap", str(tmp_path / "stack"), "--aoi", "sydney", "--coherence", str(coh),
               "--pair", "20060619_20061002")
    assert out.exit_code == 0, out.output
    (row,) = _sql("SELECT met_uri, reference_date, flags FROM products")
    assert str(row["reference_date"]) == "2006-10-02"
    assert "coherence_estimated" not in (row["flags"] or "")
    met = json.loads(Path(row["met_uri"]).read_text())
    assert met["properties"]["sarlake:source_coherence_file"] == coh.name
    assert met["provenance"]["inputs"][1] == str(coh)
