"""Perpendicular baselines of ISCE2 and GMTSAR stacks (``pges.readers.stack_baselines``), wired into their readers.

GMTSAR and ISCE2 products were catalogued without a perpendicular baseline, though their stacks write one per date.
The files are written here in the layouts MintPy reads (``isce_utils.read_baseline_timeseries``,
``prep_gmtsar.read_baseline_table``), with values chosen so that each pair's baseline is known by hand:
``B(later) - B(earlier)`` of the per-date values relative to the stack reference.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from test_pges_readers_formats import _gmtsar_folder, _isce_folder  # tests/ is on sys.path

from pges.readers import read_interferogram
from pges.readers.stack_baselines import gmtsar_stack_baseline, isce_stack_baseline

TOPS = ("swath: IW1\nBperp (average): {a}\nBpar (average): -29.4\n"
        "swath: IW2\nBperp (average): {b}\nBpar (average): -34.5\n")
STRIPMAP = "PERP_BASELINE_BOTTOM {a}\nPERP_BASELINE_TOP {b}\n"


def _isce_stack(root: Path, layout: str) -> None:
    """Stack reference 2017-12-20; 2018-01-01 at 31 m (30 and 32), 2018-01-13 at -11 m (-10 and -12)."""
    for pair, (a, b) in {"20171220_20180101": (30.0, 32.0), "20171220_20180113": (-10.0, -12.0)}.items():
        if layout == "topsStack":
            (root / "baselines" / pair).mkdir(parents=True)
            (root / "baselines" / pair / f"{pair}.txt").write_text(TOPS.format(a=a, b=b))
        elif layout == "stripmapStack":
            (root / "baselines").mkdir(exist_ok=True)
            (root / "baselines" / f"{pair}.txt").write_text(STRIPMAP.format(a=a, b=b))
        else:  # ISCE3/dolphin
            (root / "baselines").mkdir(exist_ok=True)
            (root / "baselines" / f"{pair}.txt").write_text(f"Bperp average (m): {(a + b) / 2}\nBpar average (m): 1\n")


@pytest.mark.parametrize("layout", ["topsStack", "stripmapStack", "dolphin"])
def test_an_isce_stack_gives_each_pair_its_later_minus_earlier_baseline(tmp_path, layout):
    folder, *_ = _isce_folder(tmp_path)  # <root>/merged/20180101_20180113/filt_topophase.unw.geo
    root = folder.parent.parent
    _isce_stack(root, layout)
    ifg = read_interferogram(folder / "filt_topophase.unw.geo")
    assert ifg.perpendicular_baseline_m == pytest.approx(-11.0 - 31.0)
    inside = folder / "filt_topophase.unw.geo"
    assert isce_stack_baseline(inside, (date(2018, 1, 13), date(2017, 12, 20))) == pytest.approx(-11.0)  # any order
    assert isce_stack_baseline(inside, (date(2017, 12, 20), date(2018, 1, 1))) == pytest.approx(31.0)


def test_an_isce_product_outside_a_stack_has_no_baseline(tmp_path):
    folder, *_ = _isce_folder(tmp_path)
    assert read_interferogram(folder / "filt_topophase.unw.geo").perpendicular_baseline_m is None


def test_an_isce_baseline_that_does_not_read_is_left_out_naming_the_file(tmp_path, caplog):
    folder, *_ = _isce_folder(tmp_path)
    root = folder.parent.parent
    _isce_stack(root, "topsStack")
    (root / "baselines" / "20171220_20180113" / "20171220_20180113.txt").write_text(TOPS.format(a="nan", b=-12.0))
    with caplog.at_level(logging.WARNING):
        assert read_interferogram(folder / "filt_topophase.unw.geo").perpendicular_baseline_m is None
    assert "20171220_20180113.txt" in caplog.text
    assert "no perpendicular baseline for 2018-01-13" in caplog.text


def test_a_gmtsar_stack_gives_each_pair_its_later_minus_earlier_baseline(tmp_path, caplog):
    folder, *_ = _gmtsar_folder(tmp_path)  # <tmp>/intf/2015092_2015104/, PRMs of 2015-04-02 and 2015-04-14
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "baseline_table.dat").write_text(
        "S1_20150321_ALL_F1 2015079.5885345591 79 0.000000000000 0.000000000000\n"
        "S1_20150402_ALL_F1 2015091.5885222249 91 -33.273566547687 -17.102628888348\n"
        "S1_20150414_ALL_F1 2015103.5885250464 103 -104.664278131966 -142.776284597889\n"
        "ALPSRP052541220 2007027.2 0 1.0 2.0\n")  # no YYYYMMDD in its file_ID: left out, with a warning
    with caplog.at_level(logging.WARNING):
        ifg = read_interferogram(folder / "unwrap_ll.grd")
    assert ifg.perpendicular_baseline_m == pytest.approx(-142.776284597889 - -17.102628888348)
    assert "line 4 is not" in caplog.text
    assert gmtsar_stack_baseline(folder / "unwrap_ll.grd", (date(2015, 4, 2), date(2015, 3, 21))) == \
        pytest.approx(-17.102628888348)


def test_a_gmtsar_product_outside_a_stack_has_no_baseline(tmp_path):
    folder, *_ = _gmtsar_folder(tmp_path)
    assert read_interferogram(folder / "unwrap_ll.grd").perpendicular_baseline_m is None


def test_a_stacks_baseline_files_are_read_once_for_all_its_pairs_and_again_when_they_change(tmp_path):
    """Each pair read the whole ``baselines/`` folder (a stack of N dates has up to N^2 / 2 pairs); a LiCSAR frame's
    ``baselines`` file was read once per pair too. A file edited since is read again."""
    import os

    from pges.readers import stack_baselines
    from pges.readers.baseline import _epoch_baselines, epoch_baselines

    folder, *_ = _isce_folder(tmp_path)
    _isce_stack(folder.parent.parent, "topsStack")
    inside = folder / "filt_topophase.unw.geo"
    before = stack_baselines._isce_epochs.cache_info().misses
    pairs = [(date(2017, 12, 20), date(2018, 1, 1)), (date(2017, 12, 20), date(2018, 1, 13)),
             (date(2018, 1, 1), date(2018, 1, 13))]
    assert [isce_stack_baseline(inside, pair) for pair in pairs] == pytest.approx([31.0, -11.0, -42.0])
    assert stack_baselines._isce_epochs.cache_info().misses == before + 1
    edited = folder.parent.parent / "baselines" / "20171220_20180113" / "20171220_20180113.txt"
    edited.write_text(TOPS.format(a=-20.0, b=-22.0))
    stat = edited.stat()
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a later time, whatever the clock's grain
    assert isce_stack_baseline(inside, pairs[2]) == pytest.approx(-21.0 - 31.0)

    licsar = tmp_path / "baselines"
    licsar.write_text("20171220 20171220 0.0 0\n20171220 20180101 31.0 12\n20171220 20180113 -11.0 24\n")
    before = _epoch_baselines.cache_info().misses
    for _ in pairs:
        assert epoch_baselines(licsar)[date(2018, 1, 13)] == -11.0
    assert _epoch_baselines.cache_info().misses == before + 1
