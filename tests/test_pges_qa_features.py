from __future__ import annotations

import numpy as np
import pytest

from pges.errors import InputValidationError
from pges.qa.features import FEATURE_NAMES, compute_features


def _product(island_cycles: int = 0, seed: int = 0, size: int = 200):
    """A smooth deformation signal with noise; an island offset by whole cycles when asked (analytic truth)."""
    rng = np.random.default_rng(seed)
    i, j = np.mgrid[0:size, 0:size].astype(np.float32)
    bowl = 6 * np.exp(-((i - size / 2) ** 2 + (j - size / 2) ** 2) / (size * 20))
    phi = 0.03 * i + bowl + rng.normal(0, 0.2, i.shape)
    wrapped = (phi + np.pi) % (2 * np.pi) - np.pi
    unw = phi.copy()
    unw[np.hypot(i - 0.3 * size, j - 0.6 * size) < 0.12 * size] += 2 * np.pi * island_cycles
    coh = np.full(phi.shape, 0.8, np.float32)
    return unw.astype(np.float32), coh, wrapped.astype(np.float32), (3 * i + j).astype(np.float32)


def _features(unw, coh, wrapped, dem):
    return compute_features(unw, coh, wrapped, dem=dem)


def test_an_island_off_by_two_cycles_shows_as_a_two_cycle_step_and_incongruence_free():
    good = _features(*_product(0)).values
    bad = _features(*_product(2)).values
    assert good["cc_step_cycles_max"] == 0 and bad["cc_step_cycles_max"] == 2
    assert good["jump_fraction"] == 0 and bad["jump_fraction"] > 0
    assert bad["cc_count"] == good["cc_count"] + 1  # the island is cut off from the rest
    assert bad["unwrapper_disagreement"] > good["unwrapper_disagreement"]
    # whole-cycle offsets keep the product congruent with its wrapped phase
    assert bad["congruence_mean"] == pytest.approx(0, abs=1e-3)


@pytest.mark.parametrize("cycles", [1, 2, 3])
def test_the_step_severity_is_the_island_area_times_its_cycles_even_across_steep_fringes(cycles):
    """What the UWE classes cut (cycles x share of the area in error), read off the product: analytic island."""
    for gradient in (0.03, 2.2):  # rad per pixel along a row: a gentle ramp, and fringes 3 pixels apart
        size = 96  # the working grid itself: no subsampling between the island and the feature
        rng = np.random.default_rng(cycles)
        i, j = np.mgrid[0:size, 0:size].astype(np.float64)
        phi = gradient * j + 0.02 * i + rng.normal(0, 0.15, i.shape)
        island = np.hypot(i - 30, j - 55) < 14
        unw = phi + 2 * np.pi * cycles * island
        clean = compute_features(phi.astype(np.float32)).values["cc_step_severity"]
        bad = compute_features(unw.astype(np.float32)).values["cc_step_severity"]
        assert clean == 0
        assert bad == pytest.approx(cycles * island.mean(), rel=0.05)


def test_missing_inputs_degrade_the_features_and_are_flagged():
    unw, coh, wrapped, dem = _product(1)
    full = compute_features(unw, coh, wrapped, dem=dem)
    bare = compute_features(unw)
    assert full.missing == ["conncomp"] and bare.missing == ["coherence", "wrapped", "conncomp", "dem"]
    assert bare.degraded and np.isnan(bare.values["coherence_mean"]) and np.isnan(bare.values["congruence_mean"])
    assert bare.values["cc_step_cycles_max"] == 1  # still seen from the unwrapped phase alone
    assert full.vector().shape == (len(FEATURE_NAMES),)


@pytest.mark.parametrize("height", [0.0, 100.0, 123.4, 2034.7])
def test_a_flat_dem_has_no_correlation_with_the_phase_at_any_height(height):
    """A constant DEM (the sea, a plateau) has no topography for the phase to follow: dem_correlation 0, as at sea
    level. At most heights the float32 heights' std was not exactly 0, np.corrcoef divided by the float64 std,
    which is, and the feature was NaN (with a RuntimeWarning) while the DEM counted as given."""
    import warnings

    unw, coh, wrapped, _ = _product()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flat = _features(unw, coh, wrapped, np.full(unw.shape, height, np.float32))
    assert flat.values["dem_correlation"] == 0.0 and "dem" not in flat.missing
    constant_phase = _features(np.full(unw.shape, 1.3, np.float32), None, None, _product()[3])
    assert constant_phase.values["dem_correlation"] == 0.0


def test_nan_and_nodata_are_ignored():
    unw, coh, wrapped, dem = _product(0)
    holes = unw.copy()
    holes[:, :40] = np.nan
    coh[50:60] = np.nan
    f = compute_features(holes, coh, wrapped, dem=dem).values
    assert f["valid_fraction"] == pytest.approx(0.8, abs=0.01)
    assert all(np.isfinite(v) for k, v in f.items() if k != "triplet_misclosure_share")
    zero_filled = np.where(np.isnan(holes), 0.0, holes)
    g = compute_features(zero_filled, nodata=0.0).values
    assert g["valid_fraction"] == pytest.approx(0.8, abs=0.01)


def test_bad_input_is_refused_with_one_line():
    with pytest.raises(InputValidationError, match="no valid pixel"):
        compute_features(np.full((10, 10), np.nan))
    with pytest.raises(InputValidationError, match="coherence of x.unw has shape"):
        compute_features(np.zeros((10, 10)), np.zeros((5, 5)), label="x.unw")
    with pytest.raises(InputValidationError, match="2-D"):
        compute_features(np.zeros(10))


def test_a_referenced_product_is_still_congruent():
    # every processor subtracts a reference point's phase: whole product shifted by a constant that is no
    # multiple of 2 pi. Congruence must not read that as an error (it did: congruence_mean was the constant)
    unw, coh, wrapped, dem = _product(0)
    f = compute_features(unw - np.float32(1.234), coh, wrapped, dem=dem).values
    assert f["congruence_mean"] == pytest.approx(0, abs=1e-3) and f["congruence_fraction"] == 0
    # a real incongruence (part of the product off by half a cycle) still shows
    half = unw.copy()
    half[:50] += np.pi
    assert compute_features(half, coh, wrapped, dem=dem).values["congruence_fraction"] > 0.2


def test_a_coherence_layer_that_does_not_follow_the_phase_is_ignored_and_flagged():
    rng = np.random.default_rng(3)
    unw, _, wrapped, dem = _product(0)
    noisy = wrapped.copy()
    noisy[:, :80] = rng.uniform(-np.pi, np.pi, (noisy.shape[0], 80))  # a decorrelated band
    honest = np.where(np.arange(200)[None, :] < 80, 0.1, 0.9).astype(np.float32) * np.ones((200, 1), np.float32)
    noise = rng.uniform(0, 1, honest.shape).astype(np.float32)  # uniform per pixel, blind to the phase
    kept = compute_features(unw, honest, noisy, dem=dem)
    ignored = compute_features(unw, noise, noisy, dem=dem)
    assert kept.values["coherence_ignored"] == 0 and "coherence" not in kept.missing
    assert kept.values["coherence_low_fraction"] == pytest.approx(0.4, abs=0.01)
    assert ignored.values["coherence_ignored"] == 1 and "coherence" in ignored.missing
    assert np.isnan(ignored.values["coherence_mean"])
    # the phase's own coherence sees the decorrelated band either way
    assert ignored.values["phase_coherence_low_fraction"] == pytest.approx(0.4, abs=0.05)


def test_an_island_cut_off_by_a_decorrelated_moat_is_measured_by_its_area():
    rng = np.random.default_rng(4)
    unw, coh, wrapped, dem = _product(0)
    i, j = np.mgrid[0:200, 0:200]
    d = np.hypot(i - 100, j - 100)
    moat = (d > 20) & (d <= 32)
    wrapped = np.where(moat, rng.uniform(-np.pi, np.pi, wrapped.shape), wrapped).astype(np.float32)
    coh = np.where(moat, 0.05, coh).astype(np.float32)
    f = compute_features(unw, coh, wrapped, dem=dem).values
    island = float((d <= 20).mean())  # 3.1 % of the product; features run on a 2x subsampled grid
    assert f["coherence_island_count"] == 1
    assert f["coherence_island_fraction"] == pytest.approx(island, rel=0.15)
    # from the phase alone (3x3 phase coherence) a moat must be a few working pixels wide to cut the island off
    assert f["phase_island_fraction"] == pytest.approx(island, rel=0.5)


def _island_in_a_noisy_moat(rng):
    """Coherence 0.75 +- 0.08 on a 200x200 grid with a moat of noise coherence (0.2-0.45, as multilooked noise
    reads) 10 pixels wide around an island of radius 24; returns it, the distance to the island's centre, the moat
    and the row and column indices."""
    i, j = np.mgrid[0:200, 0:200]
    d = np.hypot(i - 90, j - 110)
    moat = (d > 24) & (d <= 34)
    coh = np.clip(rng.normal(0.75, 0.08, d.shape), 0, 1)
    return np.where(moat, rng.uniform(0.2, 0.45, d.shape), coh).astype(np.float32), d, moat, i, j


def test_an_island_enclosed_by_a_moat_of_biased_noise_coherence_is_found_at_the_threshold_that_encloses_it():
    # a multilooked coherence estimate of pure noise is biased up (0.2-0.45 here), so no fixed cut at 0.3 closes
    # the moat; the smoothed coherence is cut at several levels and the one that encloses the most is kept
    rng = np.random.default_rng(5)
    unw, _, wrapped, dem = _product(0)
    coh, d, moat, i, j = _island_in_a_noisy_moat(rng)
    island = float((d <= 24).mean())  # 4.5 % of the product
    f = compute_features(unw, coh, wrapped, dem=dem).values
    # between the island and the island with 2 working-grid pixels (4 product pixels) of its moat: the 3x3 mean
    # blurs the moat's inner edge by one, the dilation that closes noisy gaps is grown back by one
    rim = float((d <= 28).mean())
    assert island * 0.95 <= f["coherence_enclosed_fraction"] <= rim
    assert f["coherence_enclosed_largest"] == f["coherence_enclosed_fraction"]
    assert f["coherence_island_count"] == 0  # the fixed cut at 0.3 does not see it
    # the same moat with a 20-pixel gap encloses nothing; no moat, nothing; no coherence, unknown
    gapped = np.where(moat & (np.abs(j - 110) < 10) & (i < 90), 0.75, coh).astype(np.float32)
    assert compute_features(unw, gapped, wrapped, dem=dem).values["coherence_enclosed_fraction"] < 0.2 * island
    clean = np.clip(rng.normal(0.75, 0.08, unw.shape), 0, 1).astype(np.float32)
    assert compute_features(unw, clean, wrapped, dem=dem).values["coherence_enclosed_fraction"] == 0
    assert np.isnan(compute_features(unw, None, wrapped, dem=dem).values["coherence_enclosed_fraction"])


def test_a_geocoded_footprint_in_a_frame_of_no_data_is_not_an_enclosed_island_but_a_moat_inside_it_is():
    # a geocoded product: a rotated footprint (a diamond here) in a frame of NaN that reaches the grid's edges.
    # That frame is outside the product; before qa-features-4 it counted as low coherence and the whole
    # coherent footprint came out as one enclosed island (0.999 of the product on the demo's products)
    rng = np.random.default_rng(7)
    unw, _, wrapped, dem = _product(0)
    i, j = np.mgrid[0:200, 0:200]
    footprint = (np.abs(i - 100) + np.abs(j - 100)) <= 95
    framed = np.where(footprint, unw, np.nan)
    coh = np.where(footprint, np.clip(rng.normal(0.75, 0.08, unw.shape), 0, 1), np.nan).astype(np.float32)
    f = compute_features(framed, coh, np.where(footprint, wrapped, np.nan), dem=dem).values
    assert f["coherence_enclosed_fraction"] == 0
    # a decorrelated moat inside the footprint still encloses its island
    d = np.hypot(i - 100, j - 100)
    moat = (d > 24) & (d <= 34)
    coh_moat = np.where(moat & footprint, rng.uniform(0.2, 0.45, unw.shape), coh).astype(np.float32)
    f = compute_features(framed, coh_moat, np.where(footprint, wrapped, np.nan), dem=dem).values
    island = float((d <= 24).sum()) / float(footprint.sum())
    rim = float((d <= 28).sum()) / float(footprint.sum())
    assert island * 0.95 <= f["coherence_enclosed_fraction"] <= rim


def test_an_island_crossed_by_a_band_of_missing_lines_is_still_enclosed():
    # missing lines (a dropped burst) run from edge to edge of a radar grid; before qa-features-6 they counted as
    # the footprint's edge, so an island they crossed reached "beyond the footprint" and was not enclosed
    rng = np.random.default_rng(8)
    unw, _, wrapped, dem = _product(0)
    coh, d, _, i, _ = _island_in_a_noisy_moat(rng)
    lost = (i >= 84) & (i < 90)  # six lines through the island's middle
    gappy = [np.where(lost, np.nan, a).astype(np.float32) for a in (unw, coh, wrapped)]
    f = compute_features(gappy[0], gappy[1], gappy[2], dem=dem).values
    n_valid = float((~lost).sum())
    island, rim = float(((d <= 24) & ~lost).sum()) / n_valid, float(((d <= 28) & ~lost).sum()) / n_valid
    assert island * 0.95 <= f["coherence_enclosed_fraction"] <= rim
    # the same band without an island encloses nothing: each side of it reaches the grid's edges
    clean = np.where(lost, np.nan, np.clip(rng.normal(0.75, 0.08, unw.shape), 0, 1)).astype(np.float32)
    assert compute_features(gappy[0], clean, gappy[2], dem=dem).values["coherence_enclosed_fraction"] == 0


def _cut_by_missing_lines(seed: int, first_lost: int, island_at: tuple[int, int], island_radius: float):
    """A 96x96 ramp with noise, 3 missing lines from ``first_lost``, the side below them a cycle off the side
    above, and an island 2 cycles off."""
    size = 96
    rng = np.random.default_rng(seed)
    i, j = np.mgrid[0:size, 0:size].astype(np.float64)
    phi = 0.05 * j + 0.02 * i + rng.normal(0, 0.15, i.shape)
    lost = (i >= first_lost) & (i < first_lost + 3)
    island = np.hypot(i - island_at[0], j - island_at[1]) < island_radius
    unw = np.where(lost, np.nan, phi + 2 * np.pi * ((i >= first_lost + 3) + 2 * island))
    return unw.astype(np.float32), i, lost, island


def test_the_step_severity_references_each_side_of_a_band_of_missing_lines_on_its_own():
    # a product cut in two by missing lines: the cycle offset between the sides is unknown, not an error (the
    # labelled set's truth references each side on its own too); an island 2 cycles off below the band is
    unw, i, lost, island = _cut_by_missing_lines(9, 60, (80, 40), 10)
    below = (i >= 63) & ~island  # the larger part of the lower side, its reference
    sev = compute_features(unw).values["cc_step_severity"]
    assert island.sum() < below.sum() < (i < 60).sum()  # the upper side is the product's largest part
    assert sev == pytest.approx(2 * island.sum() / (~lost).sum(), rel=0.05)


def test_component_offsets_are_not_read_across_a_band_of_missing_lines():
    # the lower side of a band of missing lines is a cycle off the upper one: unknowable, not an error (feature
    # sets before 7 compared the two across the band); an island two cycles off inside the upper side is one
    unw, i, lost, island = _cut_by_missing_lines(10, 58, (25, 50), 9)
    f = compute_features(unw).values
    assert island.sum() < (i >= 61).sum() < (i < 58).sum()  # the lower side is the second component
    assert f["cc_offset_cycles_max"] == 2
    # the island's pixels, less the ring of |dphi| > pi edge pixels that the components leave out
    assert 0.8 * island.sum() / (~lost).sum() <= f["cc_offset_fraction"] <= island.sum() / (~lost).sum()
