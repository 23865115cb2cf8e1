"""Surface displacement sources in east/north/up, their time functions, and their line-of-sight projection.

Every source is a function ``(east_m, north_m) -> (ue, un, uz)`` where east/north are offsets from the
source centre. Time functions: Gaussian bowls and Mogi sources grow linearly from ``DEFORMATION_EPOCH``
(their fields are rates, m/yr); Okada dislocations are a step at the event time (coseismic), so a pair
sees an earthquake iff its two dates lie on either side of it.

References:
    Mogi, K. (1958), Relations between the eruptions of various volcanoes and the deformations of the
    ground surfaces around them, Bull. Earthquake Res. Inst. 36, 99-134.
    Okada, Y. (1985), Surface deformation due to shear and tensile faults in a half-space,
    Bull. Seismol. Soc. Am. 75(4), 1135-1154 (see ``pges.simulate.okada``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np

from pges.simulate.config import GaussianBowl, MogiSource, OkadaSource
from pges.simulate.geometry import EARTH_RADIUS_M, RadarGrid
from pges.simulate.okada import okada85

__all__ = [
    "DAYS_PER_YEAR",
    "DEFORMATION_EPOCH",
    "DeformationModel",
    "deformation_model",
    "gaussian_bowl",
    "los_rate_m_per_yr",
    "mogi",
    "okada_enu",
]

DEFORMATION_EPOCH = date(2015, 1, 1)  # linear sources are zero on this date and grow from it
DAYS_PER_YEAR = 365.25

Source = GaussianBowl | MogiSource | OkadaSource


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


def okada_enu(east: np.ndarray, north: np.ndarray, src: OkadaSource):
    """Coseismic displacement (m, east/north/up) of an Okada source, with its scaling-law defaults filled."""
    length, width, slip, dip, rake, depth = src.resolved()
    return okada85(east, north, depth, src.strike_deg, dip, length, width, rake, slip, src.opening_m, src.poisson)


def _centre_offsets(grid: RadarGrid, lon: float | None, lat: float | None) -> tuple[np.ndarray, np.ndarray]:
    east, north = grid.east_north()
    if lon is None and lat is None:
        return east, north
    lon = grid.center_lon if lon is None else lon
    lat = grid.center_lat if lat is None else lat
    de = np.deg2rad(lon - grid.center_lon) * EARTH_RADIUS_M * np.cos(np.deg2rad(grid.center_lat))
    dn = np.deg2rad(lat - grid.center_lat) * EARTH_RADIUS_M
    return east - de, north - dn


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def los_rate_m_per_yr(grid: RadarGrid, sources: Sequence[Source]) -> np.ndarray:
    """Line-of-sight displacement rate (m/yr, positive = towards the satellite) of the linear sources summed."""
    return deformation_model(grid, sources).rate_m_per_yr


@dataclass
class DeformationModel:
    """LOS fields of a frame's sources: a linear rate and coseismic steps; evaluated per date."""

    rate_m_per_yr: np.ndarray
    steps: list[tuple[datetime, np.ndarray]] = field(default_factory=list)  # (event time UTC, LOS step m)

    def los_m(self, when: datetime) -> np.ndarray:
        """LOS displacement (m, + towards the satellite) at ``when`` since ``DEFORMATION_EPOCH``.

        Linear sources: ``rate * years``; each earthquake adds its step if ``when >= event_time``.
        """
        years = (when.date() - DEFORMATION_EPOCH).days / DAYS_PER_YEAR
        out = self.rate_m_per_yr * years
        for t_event, step in self.steps:
            if _utc(when) >= t_event:
                out = out + step
        return out


def deformation_model(grid: RadarGrid, sources: Sequence[Source]) -> DeformationModel:
    """Project every source onto the line of sight of ``grid`` (ENU dot the ground-to-satellite unit vector)."""
    le, ln, lu = grid.los_enu()
    rate = np.zeros(grid.shape, dtype=np.float64)
    steps: list[tuple[datetime, np.ndarray]] = []
    for src in sources:
        east, north = _centre_offsets(grid, src.center_lon, src.center_lat)
        if isinstance(src, GaussianBowl):
            ue, un, uz = gaussian_bowl(east, north, src.rate_mm_per_yr / 1000.0, src.sigma_m)
            rate += ue * le + un * ln + uz * lu
        elif isinstance(src, MogiSource):
            ue, un, uz = mogi(east, north, src.volume_rate_m3_per_yr, src.depth_m, src.poisson)
            rate += ue * le + un * ln + uz * lu
        elif isinstance(src, OkadaSource):
            ue, un, uz = okada_enu(east, north, src)
            steps.append((_utc(src.event_time), ue * le + un * ln + uz * lu))
        else:  # pragma: no cover - the config union is closed
            raise TypeError(f"unknown deformation source {src!r}")
    return DeformationModel(rate, steps)
