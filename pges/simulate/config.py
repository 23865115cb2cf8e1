"""Parameters of the ``simulate`` PGE (pydantic only: cheap to import)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Tag, field_validator, model_validator

from pges.contract import PGEParameters, tag_with_default

__all__ = [
    "Acquisition",
    "AtmosphereConfig",
    "DeformationSource",
    "GaussianBowl",
    "MogiSource",
    "NoiseConfig",
    "SimulateParameters",
]

C_BAND_WAVELENGTH_M = 0.05546576  # Sentinel-1, 5.405 GHz


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Acquisition(_Strict):
    """One simulated acquisition; its content depends only on (frame, track, direction, date, seed)."""

    id: str = Field(..., min_length=1, pattern=r"^[A-Za-z0-9._-]+$", description="Product id (folder name).")
    start_time: datetime = Field(..., description="Sensing start, ISO 8601 (UTC when no zone is given).")


class GaussianBowl(_Strict):
    """Vertical displacement ``rate * exp(-r^2 / (2 sigma^2))`` growing linearly in time."""

    kind: Literal["gaussian"] = Field("gaussian", description="Source type.")
    rate_mm_per_yr: float = Field(-40.0, description="Vertical rate at the centre, mm/yr (negative = subsidence).")
    sigma_m: float = Field(2500.0, gt=0, description="Gaussian width (1 sigma), metres.")
    center_lon: float | None = Field(None, ge=-180, le=180, description="Centre longitude; None = AOI centre.")
    center_lat: float | None = Field(None, ge=-90, le=90, description="Centre latitude; None = AOI centre.")


class MogiSource(_Strict):
    """Mogi (1958) point pressure source in an elastic half-space; volume change grows linearly in time."""

    kind: Literal["mogi"] = Field("mogi", description="Source type.")
    volume_rate_m3_per_yr: float = Field(2.0e6, description="Volume change rate, m^3/yr (positive = inflation).")
    depth_m: float = Field(3000.0, gt=0, description="Source depth below the surface, metres.")
    poisson: float = Field(0.25, gt=0, lt=0.5, description="Poisson ratio of the half-space.")
    center_lon: float | None = Field(None, ge=-180, le=180, description="Centre longitude; None = AOI centre.")
    center_lat: float | None = Field(None, ge=-90, le=90, description="Centre latitude; None = AOI centre.")


DeformationSource = Annotated[
    Annotated[GaussianBowl, Tag("gaussian")] | Annotated[MogiSource, Tag("mogi")], tag_with_default("kind", "gaussian")
]


class AtmosphereConfig(_Strict):
    """Per-date turbulent tropospheric delay: a fractal (power-law) screen seeded from the date."""

    turbulence_mm: float = Field(3.0, ge=0, description="Standard deviation of the one-way LOS delay, mm.")
    beta: float = Field(8.0 / 3.0, gt=0, lt=4, description="Power-law exponent of the 2-D spectrum (Kolmogorov 8/3).")
    outer_scale_m: float = Field(20000.0, gt=0, description="Outer scale (low-frequency roll-off), metres.")


class NoiseConfig(_Strict):
    """Decorrelation between dates and thermal noise."""

    coherence: float = Field(
        0.85, gt=0, le=1, description="Correlation of every date with the common scene (1 = noise free)."
    )


class SimulateParameters(PGEParameters):
    """Simulated Sentinel-1 IW acquisitions of one frame over an AOI."""

    bbox: tuple[float, float, float, float] = Field(
        ..., description="AOI [west, south, east, north], degrees.", examples=[[14.30, 40.72, 14.55, 40.90]]
    )
    track: int = Field(..., ge=1, le=175, description="Relative orbit number.", examples=[44])
    direction: Literal["A", "D"] = Field(..., description="Orbit direction: A(scending) or D(escending).", examples=["A"])
    frame: str = Field(..., min_length=1, description="Frame id (seeds the common scene).", examples=["F0440"])
    acquisitions: list[Acquisition] = Field(
        ...,
        min_length=1,
        description="Acquisitions to simulate, [{id, start_time}].",
        examples=[[{"id": "S1A_SIM_044A_20240103", "start_time": "2024-01-03T05:00:00Z"}]],
    )
    aoi: str | None = Field(None, description="AOI name, recorded as sarlake:aoi.")
    seed: int = Field(0, ge=0, description="Global seed; change it for an independent world.")
    dem: str | None = Field(None, description="DEM file (.hgt or GeoTIFF); None = a packaged DEM covering the AOI.")
    wavelength_m: float = Field(
        C_BAND_WAVELENGTH_M, gt=0.01, lt=0.5, description="Radar wavelength, m (C-band 0.0555, L-band 0.238)."
    )
    posting_m: float = Field(40.0, ge=5, le=500, description="Radar-grid pixel spacing (azimuth and ground range), m.")
    incidence_deg: float = Field(37.0, ge=15, le=60, description="Incidence angle at the grid centre, degrees.")
    heading_deg: float | None = Field(
        None, description="Flight heading clockwise from north; None = -10 (A) or 190 (D)."
    )
    deformation: list[DeformationSource] = Field(
        default_factory=lambda: [GaussianBowl()],  # type: ignore[call-arg]
        description="Deformation sources, summed; [] = no deformation.",
    )
    atmosphere: AtmosphereConfig = Field(default_factory=AtmosphereConfig, description="Tropospheric screens.")  # type: ignore[arg-type]
    noise: NoiseConfig = Field(default_factory=NoiseConfig, description="Decorrelation.")  # type: ignore[arg-type]
    baseline_sigma_m: float = Field(60.0, ge=0, description="Std of the perpendicular baseline to the reference orbit, m.")

    @field_validator("bbox")
    @classmethod
    def _check_bbox(cls, v: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        w, s, e, n = v
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise ValueError("bbox must be [west, south, east, north] with west < east and south < north")
        if e - w > 2 or n - s > 2:
            raise ValueError("bbox larger than 2 degrees: the simulator is for small AOIs")
        return v

    @model_validator(mode="after")
    def _unique_ids(self) -> SimulateParameters:
        ids = [a.id for a in self.acquisitions]
        if len(set(ids)) != len(ids):
            raise ValueError("acquisition ids must be unique")
        return self
