"""Wrong cuts in the real Sydney interferograms (pges.train.realcuts). Truth: the cut's own record (region share and
cycle count from pges.train.unwrap_failures) against the class table of docs/qa.md, the manifest's closure column,
and the metrics of a perfect and an uninformed predictor."""

import csv
from pathlib import Path

import numpy as np
import pytest

from pges.qa.score import read_files
from pges.train.realcuts import CUTS, RealCuts, cut_variants, load_real_cuts

DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
MANIFEST = DATA / "qa_real_check.csv"
#: docs/qa.md "Labels and truth": severity (cycles per pixel) where UWE_1, UWE_2 and UWE_3 begin
CUTS_OF_CLASSES = (0.005, 0.035, 0.09)


def _rows() -> list[dict[str, str]]:
    with MANIFEST.open() as f:
        return list(csv.DictReader(f))


def test_each_cut_offsets_one_region_by_whole_cycles_and_its_class_is_the_cuts_severity():
    row = next(r for r in _rows() if r["clean"] == "1")
    unw = read_files(DATA / row["unw"]).unw
    valid = np.isfinite(unw)
    classes = []
    for phase, klass, cut in cut_variants(unw, 12, [0, 3]):
        assert np.array_equal(np.isfinite(phase), valid)  # no data stays no data
        steps = (phase[valid] - unw[valid]) / (2 * np.pi)
        assert np.allclose(steps, np.rint(steps), atol=1e-4)  # whole cycles: the product stays congruent
        moved = np.rint(steps) != 0
        assert set(np.unique(np.rint(steps[moved]))) == {cut.cycles}  # one region, one offset
        assert moved.mean() == pytest.approx(cut.area, abs=1e-5)
        severity = abs(cut.cycles) * cut.area
        if min(abs(severity - c) for c in CUTS_OF_CLASSES) > 1e-4:
            assert klass == sum(severity >= c for c in CUTS_OF_CLASSES), (severity, klass)
        classes.append(klass)
    assert len(set(classes)) >= 2  # sizes and cycle counts vary


def test_the_sydney_manifest_gives_its_13_clean_products_and_their_cuts_with_inputs_for_every_model():
    from pges.train.realcheck import load_real_check

    real = load_real_check(MANIFEST)
    cuts = load_real_cuts(real.products, real.clean)
    assert cuts is not None
    clean = sum(r["clean"] == "1" for r in _rows())
    assert clean == 13 and len(cuts.y) == clean * (1 + CUTS)
    assert (cuts.y == 0).sum() >= clean and (cuts.y >= 2).sum() > 0  # the originals are UWE_0
    assert {len(x) if not isinstance(x, dict) else len(next(iter(x.values()))) for x in cuts.inputs.values()} \
        == {len(cuts.y)}
    assert load_real_cuts(real.products, np.full(len(real.clean), -1)) is None  # no clean product: no check


def test_the_summary_of_a_perfect_and_an_uninformed_predictor():
    y = np.array([0, 0, 1, 2, 3, 3, 2, 1, 0])
    cuts = RealCuts(y, {})
    right = cuts.summary(np.eye(4)[y])
    assert right["real_cuts_f1_uwe2"] == 1.0 and right["real_cuts_roc_auc_uwe2"] == 1.0
    assert right["real_cuts_accuracy"] == 1.0 and right["real_cuts_products"] == 9
    blind = cuts.summary(np.full((9, 4), 0.25))  # the same p(error) for every product
    assert blind["real_cuts_roc_auc_uwe2"] == pytest.approx(0.5)
