"""One simulated acquisition as arrays: SLC, true phase, true LOS deformation and delay.

Signal model (SLC phase convention ``exp(+j 4 pi r / lambda)``, so an interferogram ``ref * conj(sec)``
has phase ``-4 pi / lambda * (d_ref - d_sec)`` for LOS displacement ``d`` towards the satellite)::

    phi_i   = -4 pi / lambda * d_los(t_i)              deformation (m, + towards the satellite)
              + 4 pi / lambda * tau_i                   one-way tropospheric delay (m), seeded from the date
              + 4 pi / lambda * B_perp,i * dz / (R sin theta)   DEM-error term (dz = 0 for now)
    slc_i   = sqrt(sigma0) * (sqrt(rho) * c + sqrt(1 - rho) * n_i) * exp(j phi_i)

``c`` is a circular complex Gaussian speckle field common to every date of the frame (seeded from seed,
frame, track, direction), ``n_i`` a per-date one (seeded from the date), so the coherence of any pair is
``rho``. ``sigma0`` is a terrain-shaded reflectivity from the DEM slope towards the radar. Nothing here
depends on which other dates are simulated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from pges.simulate.config import SimulateParameters
from pges.simulate.deformation import los_rate_m_per_yr
from pges.simulate.geometry import RadarGrid
from pges.simulate.screens import powerlaw_screen
from pges.simulate.seeds import rng_for

__all__ = ["DEFORMATION_EPOCH", "Scene", "common_scene", "perpendicular_baseline", "simulate_date"]

DEFORMATION_EPOCH = date(2015, 1, 1)  # deformation is zero on this date and grows linearly from it
DAYS_PER_YEAR = 365.25


@dataclass
class Scene:
    """Arrays of one acquisition on the radar grid."""

    slc: np.ndarray  # complex64
    phase_rad: np.ndarray  # float32, true phase screen (no speckle/noise)
    deformation_los_mm: np.ndarray  # float32, + towards the satellite, since DEFORMATION_EPOCH
    atmosphere_los_mm: np.ndarray  # float32, one-way tropospheric delay
    perpendicular_baseline_m: float


def _key(p: SimulateParameters) -> tuple[object, ...]:
    return (p.seed, p.frame, p.track, p.direction)


def common_scene(p: SimulateParameters, grid: RadarGrid, dem: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reflectivity ``sigma0`` (float32) and unit-power speckle ``c`` (complex64) shared by every date."""
    rng = rng_for(*_key(p), grid.grid_id, "scene")
    c = ((rng.standard_normal(grid.shape) + 1j * rng.standard_normal(grid.shape)) / np.sqrt(2)).astype(np.complex64)
    # slope of the terrain towards the radar (columns run away from it): facing slopes are bright
    slope = np.gradient(dem.astype(np.float64), grid.posting_m, axis=1)
    theta = np.deg2rad(grid.incidence())[None, :]
    local = np.clip(np.cos(theta + np.arctan(slope)), 0.05, 1.0)
    sigma0 = (local / np.cos(theta)) ** 2
    return sigma0.astype(np.float32), c


def perpendicular_baseline(p: SimulateParameters, day: date) -> float:
    """Perpendicular baseline (m) of the date to the frame's fixed reference orbit (a seeded normal draw)."""
    return float(round(rng_for(*_key(p), day.isoformat(), "baseline").normal(0.0, p.baseline_sigma_m), 3))


def simulate_date(
    p: SimulateParameters,
    grid: RadarGrid,
    start_time: datetime,
    sigma0: np.ndarray,
    speckle: np.ndarray,
    dem_error_m: np.ndarray | None = None,
) -> Scene:
    """Simulate the acquisition of ``start_time``'s date; depends only on the frame, the date and the seed."""
    day = start_time.date()
    lam = p.wavelength_m
    years = (day - DEFORMATION_EPOCH).days / DAYS_PER_YEAR
    d_los = los_rate_m_per_yr(grid, p.deformation) * years  # m
    rng_atmo = rng_for(*_key(p), grid.grid_id, day.isoformat(), "troposphere")
    atmo = np.zeros(grid.shape)
    if p.atmosphere.turbulence_mm > 0:
        screen = powerlaw_screen(grid.shape, grid.posting_m, p.atmosphere.beta, p.atmosphere.outer_scale_m, rng_atmo)
        atmo = screen * (p.atmosphere.turbulence_mm / 1000.0)
    bperp = perpendicular_baseline(p, day)
    k = 4.0 * np.pi / lam
    phase = -k * d_los + k * atmo
    if dem_error_m is not None:
        r = grid.slant_range()[None, :]
        phase = phase + k * bperp * dem_error_m / (r * np.sin(np.deg2rad(grid.incidence()))[None, :])
    rho = p.noise.coherence
    if rho < 1.0:
        rng_n = rng_for(*_key(p), grid.grid_id, day.isoformat(), "noise")
        n = (rng_n.standard_normal(grid.shape) + 1j * rng_n.standard_normal(grid.shape)) / np.sqrt(2)
        field = np.sqrt(rho) * speckle + np.sqrt(1.0 - rho) * n
    else:
        field = speckle
    slc = (np.sqrt(sigma0) * field * np.exp(1j * phase)).astype(np.complex64)
    return Scene(
        slc=slc,
        phase_rad=phase.astype(np.float32),
        deformation_los_mm=(d_los * 1000.0).astype(np.float32),
        atmosphere_los_mm=(atmo * 1000.0).astype(np.float32),
        perpendicular_baseline_m=bperp,
    )
