"""Parameters of the ``timeseries`` PGE (pydantic only: cheap to import)."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pges.contract import PGEParameters

__all__ = ["NetworkSelection", "ReferencePoint", "TimeseriesParameters"]


class ReferencePoint(BaseModel):
    """Where the time series is referenced (its displacement is zero at every date)."""

    model_config = ConfigDict(extra="forbid")

    lat: float | None = Field(None, ge=-90, le=90, description="Latitude, degrees; with lon. Omit both for auto.")
    lon: float | None = Field(None, ge=-180, le=180, description="Longitude, degrees; with lat. Omit both for auto.")
    radius_px: int = Field(
        1, ge=0, le=10, description="Average the reference over a (2r+1)^2 pixel window (0 = one pixel)."
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> ReferencePoint:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both reference lat and lon, or neither (auto = highest mean coherence)")
        return self

    @property
    def auto(self) -> bool:
        """True when the reference is chosen automatically."""
        return self.lat is None


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
    network: NetworkSelection = Field(default_factory=NetworkSelection, description="Interferogram selection.")  # type: ignore[arg-type]
    gnss_files: list[str] = Field(
        default_factory=list, description="GNSS series (.tenv3 or .pos paths/URIs) to compare at their stations."
    )
    incidence_deg: float | None = Field(
        None, gt=0, lt=90, description="Radar incidence angle, degrees (needed to project GNSS onto the LOS)."
    )
    heading_deg: float | None = Field(
        None, ge=-360, le=360, description="Platform heading, degrees clockwise from north (needed with GNSS)."
    )
    aoi: str | None = Field(None, description="Area of interest name, used in the product id (optional).")

    @model_validator(mode="after")
    def _gnss_needs_geometry(self) -> TimeseriesParameters:
        if self.gnss_files and (self.incidence_deg is None or self.heading_deg is None):
            raise ValueError("gnss_files need incidence_deg and heading_deg to project GNSS onto the LOS")
        return self
