"""Surface displacement sources, as rates (m/yr) in east/north/up; displacement grows linearly in time.

Every source is a function ``(east_m, north_m) -> (ue, un, uz)`` in metres per year, where east/north are
offsets from the source centre. The science issue adds Okada dislocations and time functions here.

References:
    Mogi, K. (1958), Relations between the eruptions of various volcanoes and the deformations of the
    ground surfaces around them, Bull. Earthquake Res. Inst. 36, 99-134.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pges.simulate.config import GaussianBowl, MogiSource
from pges.simulate.geometry import EARTH_RADIUS_M, RadarGrid

__all__ = ["gaussian_bowl", "los_rate_m_per_yr", "mogi"]


def gaussian_bowl(east: np.ndarray, north: np.ndarray, rate_m_per_yr: float, sigma_m: float):
    """Vertical-only Gaussian bowl ``uz = rate * exp(-r^2 / (2 sigma^2))`` (m/yr); no horizontal motion."""
    uz = rate_m_per_yr * np.exp(-(east**2 + north**2) / (2.0 * sigma_m**2))
    zero = np.zeros_like(uz)
    return zero, zero, uz


def mogi(east: np.ndarray, north: np.ndarray, volume_rate_m3: float, depth_m: float, poisson: float):
    """Mogi point source: ``u = (1 - nu) dV / pi * (x, y, d) / R^3`` with ``R^2 = x^2 + y^2 + d^2`` (m/yr)."""
    r3 = (east**2 + north**2 + depth_m**2) ** 1.5
    k = (1.0 - poisson) * volume_rate_m3 / np.pi / r3
    return k * east, k * north, k * depth_m


def _centre_offsets(grid: RadarGrid, lon: float | None, lat: float | None) -> tuple[np.ndarray, np.ndarray]:
    east, north = grid.east_north()
    if lon is None and lat is None:
        return east, north
    lon = grid.center_lon if lon is None else lon
    lat = grid.center_lat if lat is None else lat
    de = np.deg2rad(lon - grid.center_lon) * EARTH_RADIUS_M * np.cos(np.deg2rad(grid.center_lat))
    dn = np.deg2rad(lat - grid.center_lat) * EARTH_RADIUS_M
    return east - de, north - dn


def los_rate_m_per_yr(grid: RadarGrid, sources: Sequence[GaussianBowl | MogiSource]) -> np.ndarray:
    """Line-of-sight displacement rate (m/yr, positive = towards the satellite) of all sources summed."""
    le, ln, lu = grid.los_enu()
    total = np.zeros(grid.shape, dtype=np.float64)
    for src in sources:
        east, north = _centre_offsets(grid, src.center_lon, src.center_lat)
        if isinstance(src, GaussianBowl):
            ue, un, uz = gaussian_bowl(east, north, src.rate_mm_per_yr / 1000.0, src.sigma_m)
        elif isinstance(src, MogiSource):
            ue, un, uz = mogi(east, north, src.volume_rate_m3_per_yr, src.depth_m, src.poisson)
        else:  # pragma: no cover - the config union is closed
            raise TypeError(f"unknown deformation source {src!r}")
        total += ue * le + un * ln + uz * lu
    return total
