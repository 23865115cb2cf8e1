"""Parameters of the ``interferogram`` PGE (pydantic only: cheap to import)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Tag, model_validator

from pges.contract import PGEParameters, tag_with_default

__all__ = [
    "FilterConfig",
    "InterferogramParameters",
    "QualityGuidedConfig",
    "ReferencePoint",
    "SnaphuConfig",
    "UnwrapConfig",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FilterConfig(_Strict):
    """Goldstein-Werner adaptive filter."""

    strength: float = Field(0.5, ge=0, le=1, description="Filter exponent alpha (0 = off, 1 = strongest).")
    patch: int = Field(32, ge=8, le=256, description="FFT block size, pixels (even).")

    @model_validator(mode="after")
    def _even(self) -> FilterConfig:
        if self.patch % 2:
            raise ValueError("filter.patch must be even")
        return self


class SnaphuConfig(_Strict):
    """SNAPHU statistical-cost network-flow unwrapping (Chen & Zebker 2001) via the snaphu package."""

    method: Literal["snaphu"] = Field("snaphu", description="Unwrapper.")
    cost: Literal["smooth", "defo"] = Field("smooth", description="Statistical cost mode.")
    init: Literal["mcf", "mst"] = Field("mcf", description="Initialisation: minimum cost flow or spanning tree.")
    min_conncomp_frac: float = Field(0.01, gt=0, lt=1, description="Smallest connected component, fraction of pixels.")
    ntiles: tuple[Annotated[int, Field(ge=1, le=64)], Annotated[int, Field(ge=1, le=64)]] = Field(
        (1, 1), description="Tiles along rows/columns (large grids), 1..64 each."
    )
    tile_overlap: int = Field(0, ge=0, le=4096, description="Tile overlap, pixels.")
    nproc: int = Field(1, ge=1, le=256, description="Processes for tiled unwrapping.")


class QualityGuidedConfig(_Strict):
    """Reliability-sorted path-following unwrapping (Herráez et al. 2002), numba, no external binary."""

    method: Literal["quality"] = Field("quality", description="Unwrapper.")
    weight_coherence: bool = Field(
        True, description="Weight the second-difference unreliability D by the coherence g: D/g + 1 - g."
    )
    conncomp_min_coherence: float = Field(
        0.3, ge=0, lt=1, description="Connected components: regions of at least this coherence (8-connected)."
    )
    min_conncomp_frac: float = Field(0.01, gt=0, lt=1, description="Smallest connected component, fraction of pixels.")


UnwrapConfig = Annotated[
    Annotated[SnaphuConfig, Tag("snaphu")] | Annotated[QualityGuidedConfig, Tag("quality")],
    tag_with_default("method", "snaphu"),
]


class ReferencePoint(_Strict):
    """Where the unwrapped phase is set to zero."""

    method: Literal["coherence", "latlon"] = Field(
        "coherence", description="coherence: centre of the most coherent window; latlon: the given point."
    )
    lat: float | None = Field(None, ge=-90, le=90, description="Latitude of the reference (method latlon).")
    lon: float | None = Field(None, ge=-180, le=180, description="Longitude of the reference (method latlon).")
    window: int = Field(5, ge=1, le=51, description="Averaging window (multilooked pixels, odd).")

    @model_validator(mode="after")
    def _need_point(self) -> ReferencePoint:
        if self.method == "latlon" and (self.lat is None or self.lon is None):
            raise ValueError("reference.method 'latlon' needs reference.lat and reference.lon")
        return self


class InterferogramParameters(PGEParameters):
    """Interferogram from two coregistered SLCs (reference = later date, secondary = earlier)."""

    looks_range: int = Field(3, ge=1, le=64, description="Looks along range (columns).")
    looks_azimuth: int = Field(3, ge=1, le=64, description="Looks along azimuth (rows).")
    filter: FilterConfig = Field(default_factory=FilterConfig, description="Goldstein filter.")  # type: ignore[arg-type]
    unwrap: UnwrapConfig = Field(default_factory=SnaphuConfig, description="Phase unwrapping.")  # type: ignore[arg-type]
    reference: ReferencePoint = Field(default_factory=ReferencePoint, description="Reference point.")  # type: ignore[arg-type]
    posting_deg: float = Field(0.001, gt=0, le=0.1, description="Posting of the geocoded lat/lon grid, degrees.")
    min_coherence: float = Field(
        0.0, ge=0, lt=1, description="Pixels below this coherence are masked for unwrapping and in the outputs."
    )
    verify_checksums: bool = Field(True, description="Check every input file against the sha256 in its met.json.")
    browse_max_size: int = Field(800, ge=64, le=4096, description="Largest side of the browse PNG panels, pixels.")
