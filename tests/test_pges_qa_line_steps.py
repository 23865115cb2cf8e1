from __future__ import annotations

import numpy as np
import pytest

from pges.qa.features import compute_features
from pges.qa.line_steps import STEPPED, line_steps


def _wrap(x):
    return np.angle(np.exp(1j * x))


def _scene(size: int = 96, seed: int = 0):
    """A deformation bowl of 3 fringes, an orbital ramp along both axes and phase noise: no line-wide step."""
    rng = np.random.default_rng(seed)
    i, j = np.mgrid[0:size, 0:size].astype(np.float64)
    bowl = 6 * np.pi * np.exp(-((i - 40) ** 2 + (j - 55) ** 2) / (2 * 15.0**2))
    return i, bowl + 0.08 * i + 0.05 * j + rng.normal(0, 0.2, i.shape)


def test_a_burst_ramp_of_k_pi_shows_as_boundary_jumps_of_k_pi_over_2_and_an_inner_step():
    # the simulator's PMR burst: a phase ramp of k pi from end to end of a band of lines (pges.simulate.artefacts)
    # 8 lines, as a burst is on the work grid (a ninth of the lines): a window of 5 line pairs inside it averages
    # the ramp's step k pi / 7, more than a window holding one boundary jump and no ramp (k pi / 10)
    size, r0, r1, k = 96, 40, 48, 1
    i, phi = _scene(size)
    t = (i - r0) / (r1 - r0 - 1) - 0.5
    burst = (i >= r0) & (i < r1)
    noise_free = np.where(burst, k * np.pi * t, 0.0) + 0.08 * i  # an orbital ramp moves every line alike
    f = line_steps(_wrap(noise_free), np.ones(noise_free.shape, bool))
    assert f["line_step_max"] == pytest.approx(k * np.pi / 2, abs=1e-6)  # each boundary (float32 steps)
    assert f["line_step_band_max"] == pytest.approx(k * np.pi / (r1 - r0 - 1), abs=1e-6)  # the ramp inside
    assert f["line_step_share"] == pytest.approx(2 / (size - 1))  # the two boundary line pairs
    # in a real scene (deformation, ramps, noise) the burst still stands out, and nothing else does
    f_burst = line_steps(_wrap(phi + np.where(burst, k * np.pi * t, 0.0)), np.ones(phi.shape, bool))
    f_clean = line_steps(_wrap(phi), np.ones(phi.shape, bool))
    assert f_clean["line_step_max"] < 0.5 < STEPPED < f_burst["line_step_max"]
    assert f_clean["line_step_share"] == 0 < f_burst["line_step_share"]


def test_line_steps_skip_invalid_pixels_and_too_few_lines():
    i, phi = _scene()
    valid = np.ones(phi.shape, bool)
    valid[:, :60] = False  # most of every line is no data: no line pair has half its columns
    assert line_steps(_wrap(phi), valid) == {"line_step_max": 0.0, "line_step_band_max": 0.0, "line_step_share": 0.0}
    # NaN in the product does not leak into the features
    unw = np.where((i > 20) & (i < 23), np.nan, phi).astype(np.float32)
    f = compute_features(unw).values
    assert all(np.isfinite(f[n]) for n in ("line_step_max", "line_step_band_max", "line_step_share"))
