"""Parameters of the ``timeseries`` PGE (pydantic only: cheap to import)."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pges.contract import PGEParameters

__all__ = ["NetworkSelection", "ReferencePoint", "TimeseriesParameters", "TroposphereCorrection"]


class ReferencePoint(BaseModel):
    """Where the time series is referenced (its displacement is zero at every date)."""

    model_config = ConfigDict(extra="forbid")

    lat: float | None = Field(None, ge=-90, le=90, description="Latitude, degrees; with lon. Omit both for auto.")
    lon: float | None = Field(None, ge=-180, le=180, description="Longitude, degrees; with lat. Omit both for auto.")
    gnss_station: str | None = Field(
        None, description="Reference at this GNSS station (its name in gnss_files) instead of lat/lon or auto."
    )
    radius_px: int = Field(
        1, ge=0, le=10, description="Average the reference over a (2r+1)^2 pixel window (0 = one pixel)."
    )
    min_coherence: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Auto: candidates need this mean spatial coherence (relaxed if no pixel reaches it).",
    )
    min_temporal_coherence: float = Field(
        0.85, ge=0, le=1, description="Auto: candidates need this temporal coherence of a first inversion."
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> ReferencePoint:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both reference lat and lon, or neither (auto = coherent and temporally stable)")
        if self.gnss_station is not None and self.lat is not None:
            raise ValueError("give a reference lat/lon or a gnss_station, not both")
        return self

    @property
    def auto(self) -> bool:
        """True when the reference is chosen automatically."""
        return self.lat is None and self.gnss_station is None


class TroposphereCorrection(BaseModel):
    """Tropospheric corrections applied to each interferogram before the inversion (both optional)."""

    model_config = ConfigDict(extra="forbid")

    weather_model_files: list[str] = Field(
        default_factory=list,
        description=(
            "Zenith total delay grids, one per acquisition date (GACOS-style GeoTIFF in metres, or a RAiDER "
            "netCDF delay cube with wet/hydro layers): the date is read from the name (YYYYMMDD) or metadata."
        ),
    )
    stratified: bool = Field(
        False, description="Fit and remove phase = a + k * height per interferogram (needs dem), deforming masked."
    )
    dem: str | None = Field(
        None, description="DEM (GeoTIFF or .hgt, EPSG:4326) sampled on the stack grid: stratified and cube heights."
    )
    deformation_mask: str | None = Field(
        None, description="GeoTIFF on the stack grid, non-zero = deforming (excluded from fits); None = automatic."
    )


class NetworkSelection(BaseModel):
    """Which interferograms of the inputs enter the inversion."""

    model_config = ConfigDict(extra="forbid")

    max_temporal_baseline_days: int | None = Field(
        None, ge=1, description="Drop interferograms spanning more days than this (None = keep all)."
    )
    min_coherence_mean: float = Field(
        0.0, ge=0, le=1, description="Drop interferograms whose mean coherence (met.json) is below this."
    )
    exclude_pairs: list[str] = Field(
        default_factory=list, description="Pairs to drop, 'YYYYMMDD_YYYYMMDD' (either order)."
    )
    exclude_dates: list[date] = Field(
        default_factory=list, description="Acquisition dates whose interferograms are all dropped."
    )

    @field_validator("exclude_pairs")
    @classmethod
    def _pair_format(cls, v: list[str]) -> list[str]:
        for p in v:
            if not re.fullmatch(r"\d{8}_\d{8}", p):
                raise ValueError(f"pair {p!r} must be YYYYMMDD_YYYYMMDD")
        return v


class TimeseriesParameters(PGEParameters):
    """SBAS time series of L2_IFG products: network, masking, reference and GNSS comparison."""

    reference: ReferencePoint = Field(default_factory=ReferencePoint, description="Reference point.")  # type: ignore[arg-type]
    min_coherence: float = Field(
        0.0, ge=0, le=1, description="Mask pixels whose coherence is below this in an interferogram (0 = off)."
    )
    min_temporal_coherence: float = Field(
        0.7,
        ge=0,
        le=1,
        description="No velocity where the temporal coherence of the inversion is below this (MintPy's 0.7).",
    )
    troposphere: TroposphereCorrection = Field(
        default_factory=TroposphereCorrection, description="Tropospheric corrections."  # type: ignore[arg-type]
    )
    reference_to_gnss: bool = Field(
        False, description="Tie the time series to GNSS (remove the mean InSAR-GNSS offset per date) and report."
    )
    network: NetworkSelection = Field(default_factory=NetworkSelection, description="Interferogram selection.")  # type: ignore[arg-type]
    gnss_files: list[str] = Field(
        default_factory=list, description="GNSS series (.tenv3 or .pos paths/URIs) to compare at their stations."
    )
    incidence_deg: float | None = Field(
        None,
        gt=0,
        lt=90,
        description="Radar incidence angle, degrees (GNSS, weather-model delays to LOS); None = products' metadata.",
    )
    heading_deg: float | None = Field(
        None,
        ge=-360,
        le=360,
        description="Platform heading, degrees clockwise from north (GNSS to LOS); None = products' metadata.",
    )
    aoi: str | None = Field(None, description="Area of interest name, used in the product id (optional).")
    max_memory_mb: float | None = Field(
        2048.0,
        gt=0,
        description="Working memory of the SBAS inversion, MB: pixels are inverted in chunks that fit "
        "(the result does not depend on it); None = every pixel at once.",
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> TimeseriesParameters:
        if (self.reference.gnss_station or self.reference_to_gnss) and not self.gnss_files:
            raise ValueError("reference.gnss_station and reference_to_gnss need gnss_files")
        if self.troposphere.stratified and not self.troposphere.dem:
            raise ValueError("troposphere.stratified needs troposphere.dem (a DEM covering the stack)")
        return self
