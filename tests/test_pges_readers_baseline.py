"""The perpendicular baseline of each format's pair (pges.readers.baseline and readers), ``B(later) - B(earlier)``.

The per-date truth is real: ASF's perpendicular baselines of 342 Sentinel-1 scenes of path 35 relative to the scene
of 2015-03-13 (tests/data/sar_metadata/asf_path35_bperp.csv, SOURCES.md). Each file below writes a pair's baseline
the way its processor does (documented in pges.readers.baseline), often the other way round; the reader must give
the later date's minus the earlier's.
"""

from __future__ import annotations

import csv
import logging
from datetime import date
from pathlib import Path

import h5py
import numpy as np
import pytest

ASF = {date.fromisoformat(r["date"]): float(r["perpendicular_baseline_m"]) for r in
       csv.DictReader((Path(__file__).parent / "data" / "sar_metadata" / "asf_path35_bperp.csv").open())}
REFERENCE = date(2015, 3, 13)  # ASF's reference scene: its baseline is 0
EARLY, LATE = date(2023, 7, 17), date(2024, 8, 16)  # the two dates of ASF's GUNW record (aria_gunw_record.json)


def _licsar_baselines(path: Path, days: list[date]) -> Path:
    """LiCSAR's ``metadata/baselines``: ``refdate date bperp btemp``, one line per epoch (LiCSBAS read_bperp_file)."""
    lines = [f"{REFERENCE:%Y%m%d} {d:%Y%m%d} {ASF[d]:.1f} {(d - REFERENCE).days}.0" for d in days]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_licsar_baselines_file_gives_each_pair_the_later_epoch_minus_the_earlier(tmp_path):
    from pges.readers.baseline import epoch_baselines, from_epochs

    days = sorted(d for d in ASF if d.year == 2023)
    per_epoch = epoch_baselines(_licsar_baselines(tmp_path / "baselines", days))
    assert per_epoch[REFERENCE] == 0.0  # the reference epoch, named in every line
    assert from_epochs(per_epoch, EARLY, date(2023, 8, 10), what="baselines") == 162.0 - (-83.0)
    for first, second in zip(days, days[3:], strict=False):
        expected = ASF[second] - ASF[first]
        assert from_epochs(per_epoch, first, second, what="baselines") == expected
        assert from_epochs(per_epoch, second, first, what="baselines") == expected  # either order, the same pair


def test_licsbas_old_format_and_missing_epochs(tmp_path, caplog):
    """The old nine-column format gives both dates their baseline to the single reference (its last two columns); a
    pair with an epoch the file lacks gets None and a warning, never 0."""
    from pges.readers.baseline import epoch_baselines, from_epochs

    path = tmp_path / "baselines"
    path.write_text(f"1 {EARLY:%Y%m%d} {LATE:%Y%m%d} 125.0 396.0 3048.0 3444.0 {ASF[EARLY]} {ASF[LATE]}\n"
                    "2 20230729 not-a-date 1 2 3 4 5 6\n")
    with caplog.at_level(logging.WARNING):
        per_epoch = epoch_baselines(path)
        assert from_epochs(per_epoch, EARLY, LATE, what="baselines") == 125.0
        assert from_epochs(per_epoch, EARLY, date(2023, 8, 10), what="baselines") is None
    assert "baselines: line 2:" in caplog.text
    assert "no perpendicular baseline for 2023-08-10" in caplog.text


def _mintpy(path: Path, pairs: list[tuple[date, date]], bperp: list[float]) -> Path:
    """A geocoded ``ifgramStack.h5`` in MintPy's layout (objects/stack.py) with the given ``date`` and ``bperp``."""
    n, rows, cols = len(pairs), 4, 5
    with h5py.File(path, "w") as f:
        f["unwrapPhase"] = np.ones((n, rows, cols), np.float32)
        f["date"] = np.array([[f"{a:%Y%m%d}".encode(), f"{b:%Y%m%d}".encode()] for a, b in pairs])
        f["bperp"] = np.array(bperp, np.float32)
        f.attrs.update({"FILE_TYPE": "ifgramStack", "LENGTH": str(rows), "WIDTH": str(cols), "WAVELENGTH": "0.0554658",
                        "X_FIRST": "-122.0", "Y_FIRST": "39.0", "X_STEP": "0.001", "Y_STEP": "-0.001"})
    return path


def test_mintpy_bperp_is_date2_minus_date1_whichever_date_comes_first(tmp_path):
    """MintPy's design matrix takes bperp[i] as B(date2) - B(date1) (-1 at date1, +1 at date2) and allows date1 to be
    the later date; its stacks write them earlier first, so a pair written later-first is the case that shows it."""
    from pges.readers.mintpy import read_mintpy_stack

    later_first = (date(2024, 3, 1), date(2023, 9, 3))
    pairs = [(EARLY, LATE), later_first]
    bperp = [ASF[LATE] - ASF[EARLY], ASF[later_first[1]] - ASF[later_first[0]]]
    ifgs = read_mintpy_stack(_mintpy(tmp_path / "ifgramStack.h5", pairs, bperp))
    assert [i.perpendicular_baseline_m for i in ifgs] == [125.0, ASF[date(2024, 3, 1)] - ASF[date(2023, 9, 3)]]
    assert ifgs[1].perpendicular_baseline_m == -160.0 - (-86.0)


def test_a_mintpy_bperp_that_is_nan_is_left_out_with_a_warning(tmp_path, caplog):
    from pges.readers.mintpy import read_mintpy_stack

    with caplog.at_level(logging.WARNING):
        ifg = read_mintpy_stack(_mintpy(tmp_path / "ifgramStack.h5", [(EARLY, LATE)], [float("nan")]))[0]
    assert ifg.perpendicular_baseline_m is None
    assert "ifgramStack.h5: bperp[0] is 'nan', not a number" in caplog.text


def _roipac(folder: Path, date12: str, rsc_extra: str = "") -> Path:
    """A ROI_PAC ``.unw`` (2-band line-interleaved float32) and its ``.rsc`` with ``DATE12`` and ``rsc_extra``."""
    rows, cols = 3, 4
    path = folder / f"geo_{date12}.unw"
    raw = np.ones((rows, 2, cols), "<f4")
    raw.tofile(path)
    Path(f"{path}.rsc").write_text(f"WIDTH {cols}\nFILE_LENGTH {rows}\nX_FIRST 150.91\nX_STEP 0.000833333\n"
                                   f"Y_FIRST -34.17\nY_STEP -0.000833333\nWAVELENGTH 0.0562356424\nDATE12 {date12}\n"
                                   + rsc_extra)
    return path


def test_roipac_takes_the_mean_of_top_and_bottom_for_date12_in_its_order(tmp_path):
    """ROI_PAC's baseline is the slave's (DATE12's second date) relative to the master (its first); MintPy averages
    top and bottom. A DATE12 written later-first flips it."""
    from pges.readers.roipac import read_roipac_unw

    top, bottom = ASF[LATE] - ASF[EARLY] + 1.5, ASF[LATE] - ASF[EARLY] - 1.5
    keys = f"P_BASELINE_TOP_HDR {top}\nP_BASELINE_BOTTOM_HDR {bottom}\n"
    assert read_roipac_unw(_roipac(tmp_path, "230717-240816", keys)).perpendicular_baseline_m == 125.0
    flipped = f"P_BASELINE_TOP_HDR {-top}\nP_BASELINE_BOTTOM_HDR {-bottom}\n"
    assert read_roipac_unw(_roipac(tmp_path, "240816-230717", flipped)).perpendicular_baseline_m == 125.0


def test_roipac_reads_the_pairs_baseline_rsc_beside_it_and_says_none_without_one(tmp_path):
    """ROI_PAC keeps the baseline in ``<date1>_<date2>_baseline.rsc`` (MintPy's prep_roipac merges it in); the real
    Sydney headers carry none: None, never 0."""
    from pges.readers.roipac import read_roipac_unw

    path = _roipac(tmp_path, "230717-240816")
    assert read_roipac_unw(path).perpendicular_baseline_m is None
    (tmp_path / "230717_240816_baseline.rsc").write_text("P_BASELINE_TOP_HDR 124\nP_BASELINE_BOTTOM_HDR 126\n")
    assert read_roipac_unw(path).perpendicular_baseline_m == 125.0
    sydney = Path(__file__).parent / "data" / "envisat_sydney_roipac" / "roipac_unw" / "geo_060619-061002.unw"
    assert read_roipac_unw(sydney).perpendicular_baseline_m is None


def test_a_roipac_baseline_that_is_not_a_number_is_left_out_and_the_file_read(tmp_path, caplog):
    from pges.readers.roipac import read_roipac_unw

    path = _roipac(tmp_path, "230717-240816", "P_BASELINE_TOP_HDR 12O.5\nP_BASELINE_BOTTOM_HDR 125\n")
    with caplog.at_level(logging.WARNING):
        ifg = read_roipac_unw(path)
    assert ifg.perpendicular_baseline_m is None
    assert ifg.unwrapped_phase is not None
    assert "geo_230717-240816.unw.rsc: P_BASELINE_TOP_HDR is '12O.5', not a number" in caplog.text


def _hyp3_txt(folder: Path, reference: date, secondary: date, baseline: str) -> Path:
    """A HyP3 parameter file (hyp3-gamma's ``make_parameter_file`` keys) beside ``<base>_unw_phase.tif``."""
    base = f"S1AA_{reference:%Y%m%d}T020808_{secondary:%Y%m%d}T020808_VVP012_INT80_G_ueF_1A2B"
    (folder / f"{base}.txt").write_text(
        f"Reference Granule: S1A_IW_SLC__1SDV_{reference:%Y%m%d}T020808_{reference:%Y%m%d}T020835_049457_05F4A1_7C8D\n"
        f"Secondary Granule: S1A_IW_SLC__1SDV_{secondary:%Y%m%d}T020808_{secondary:%Y%m%d}T020835_055232_06BD4F_1E2F\n"
        f"Reference Pass Direction: ASCENDING\nReference Orbit Number: 49457\nBaseline: {baseline}\nHeading: -12.3\n")
    return folder / f"{base}_unw_phase.tif"


def test_hyp3_baseline_is_the_secondarys_to_the_reference_turned_later_minus_earlier(tmp_path):
    """GAMMA's ``base_init reference secondary`` (hyp3-gamma) and topsApp's Bperp (hyp3-isce2) give the secondary's
    baseline relative to the reference: as is when the reference is the earlier date, negated when it is the later."""
    from pges.readers.hyp3 import hyp3_geometry

    earlier_first = tmp_path / "a"
    earlier_first.mkdir()
    assert hyp3_geometry(_hyp3_txt(earlier_first, EARLY, LATE, "125.0"))["perpendicular_baseline_m"] == 125.0
    later_first = tmp_path / "b"
    later_first.mkdir()
    assert hyp3_geometry(_hyp3_txt(later_first, LATE, EARLY, "-125.0"))["perpendicular_baseline_m"] == 125.0


def test_a_hyp3_baseline_that_is_not_a_number_is_left_out_with_a_warning(tmp_path, caplog):
    from pges.readers.hyp3 import hyp3_geometry

    with caplog.at_level(logging.WARNING):
        found = hyp3_geometry(_hyp3_txt(tmp_path, EARLY, LATE, "None"))
    assert "perpendicular_baseline_m" not in found
    assert found["heading_deg"] == -12.3  # the rest of the file still counts
    assert "Baseline is 'None', not a number" in caplog.text


def test_an_aria_gunw_cube_is_negated_at_zero_metres_over_the_product(tmp_path):
    """The GUNW's perpendicularBaseline is the secondary's (earlier) relative to the reference (later), ISCE2's sign:
    sarlake's is its negative. Its median at the level of 0 m over the product is taken, fill values left out; the
    record's dates and ASF's value of that GUNW (124.5283 m, the cube's mean as DockerizedTopsApp delivers it) are
    used, so the negation shows."""
    from test_pges_readers_aria_geometry import _gunw

    from pges.readers.aria import read_aria_gunw

    cube = np.full((4, 4, 5), 130.0, np.float32)
    cube[1] = 124.5283
    cube[1, 0, :2] = -9999.0  # fill
    name = "S1-GUNW-A-R-035-tops-20240816_20230717-020815-00124W_00037N-PP-cf9c-v3_0_1.nc"
    ifg = read_aria_gunw(_gunw(tmp_path / name, {"perpendicularBaseline": cube}))
    assert (ifg.secondary_date, ifg.reference_date) == (EARLY, LATE)
    assert ifg.perpendicular_baseline_m == -124.5283
    (tmp_path / "none").mkdir()
    assert read_aria_gunw(_gunw(tmp_path / "none" / name, {})).perpendicular_baseline_m is None


@pytest.mark.parametrize("text", ["inf", "", "12 m", "abc"])
def test_baseline_number_takes_metres_and_refuses_what_is_not_finite(text, caplog):
    from pges.readers.baseline import baseline_number

    with caplog.at_level(logging.WARNING):
        value = baseline_number(text, what="f.txt", key="Baseline")
    assert value == (12.0 if text == "12 m" else None)
    assert ("f.txt: Baseline is" in caplog.text) is (value is None)


def test_snap_baselines_of_older_products_and_a_pair_they_do_not_list(caplog):
    """Older SNAP names the elements ``Master: <date>``/``Slave: <date>``; the value is the slave's relative to the
    master (s1tbx InSARStackOverview), so a later master's is negated. A pair the element does not list is None."""
    import xml.etree.ElementTree as ET

    from pges.readers.baseline import snap_baseline

    def root(master: str, slave: str, perp: str) -> ET.Element:
        return ET.fromstring(f'<d><MDElem name="Abstracted_Metadata"><MDElem name="Baselines">'
                             f'<MDElem name="Master: {master}"><MDElem name="Slave: {slave}">'
                             f'<MDATTR name="Perp Baseline">{perp}</MDATTR></MDElem></MDElem></MDElem></MDElem></d>')

    assert snap_baseline(root("17Jul2023", "16Aug2024", "125.0"), (EARLY, LATE), what="a.dim") == 125.0
    assert snap_baseline(root("16Aug2024", "17Jul2023", "-125.0"), (EARLY, LATE), what="a.dim") == 125.0
    assert snap_baseline(root("16Aug2024", "29Jul2023", "-125.0"), (EARLY, LATE), what="a.dim") is None
    with caplog.at_level(logging.WARNING):
        assert snap_baseline(root("17Jul2023", "16Aug2024", "NaN"), (EARLY, LATE), what="a.dim") is None
    assert "a.dim: Baselines/Master: 17Jul2023/Slave: 16Aug2024 is 'NaN', not a number" in caplog.text
