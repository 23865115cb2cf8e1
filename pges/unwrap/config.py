"""Parameters of the ``unwrap`` PGE (pydantic only: cheap to import for ``--help`` and ``--list``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from pges.contract import PGEParameters
from pges.ingest.config import MAX_GIB, MAX_OBJECTS, MaxGiB, MaxObjects
from pges.interferogram.config import FilterConfig, ReferencePoint, SnaphuConfig, UnwrapConfig
from pges.unwrap.formats import PAIR_PATTERN, UnwrapFormat

__all__ = ["UnwrapParameters"]


class UnwrapParameters(PGEParameters):
    """How to read, multilook, filter and unwrap a wrapped interferogram made elsewhere."""

    source_format: UnwrapFormat = Field(
        "auto", description="Format of the input (auto: by suffix and the header beside it; see pges.readers)."
    )
    pairs: list[Annotated[str, StringConstraints(pattern=PAIR_PATTERN)]] = Field(
        default_factory=list,
        description="Only these pairs of the inputs, as YYYYMMDD_YYYYMMDD (the two dates, either order; e.g. one "
        "pair of a MintPy stack); empty: every interferogram. A pair no input holds is refused.",
    )
    coherence: str | None = Field(
        None, description="Coherence file or s3:// object (default: found beside the interferogram by name or date)."
    )
    coherence_dirs: list[str] = Field(
        default_factory=list, description="More folders or s3:// prefixes to search for coherence (by date)."
    )
    wavelength_m: float | None = Field(
        None, gt=0.001, lt=1.0, description="Radar wavelength, m (--wavelength), when the metadata lacks it."
    )
    looks_range: int = Field(
        1, ge=1, le=64,
        description="Looks along columns: the complex interferogram is averaged over looks_azimuth x looks_range "
        "pixels before unwrapping. N = looks_range x looks_azimuth looks cut the phase noise (its standard "
        "deviation falls about as 1/sqrt(N) at a given coherence), so fewer cycles are lost and SNAPHU runs about "
        "N times faster, but the output posting is N times coarser and fringes denser than half a cycle per "
        "output pixel alias (steep deformation gradients are lost).",
    )
    looks_azimuth: int = Field(1, ge=1, le=64, description="Looks along rows (see looks_range).")
    filter: FilterConfig = Field(
        default_factory=lambda: FilterConfig(strength=0.0),  # type: ignore[call-arg]
        description="Goldstein filter after multilooking (strength 0 = off: most products are filtered already).",
    )
    unwrap: UnwrapConfig = Field(default_factory=SnaphuConfig, description="Phase unwrapping.")  # type: ignore[arg-type]
    reference: ReferencePoint = Field(default_factory=ReferencePoint, description="Reference point.")  # type: ignore[arg-type]
    min_coherence: float = Field(
        0.0, ge=0, lt=1, description="Pixels below this coherence are not unwrapped (no data in the outputs)."
    )
    aoi: str | None = Field(None, description="Name of the area of interest the product belongs to (optional).")
    aoi_wkt: str | None = Field(
        None, description="The AOI's polygon (WKT, EPSG:4326): an input whose footprint does not overlap it is refused."
    )
    mission: str | None = Field(None, description="Platform, e.g. 'sentinel-1a' (optional).")
    track: int | None = Field(None, ge=0, le=9999, description="Relative orbit / track number (optional).")
    orbit_state: Literal["ascending", "descending"] | None = Field(None, description="Pass direction (optional).")
    overwrite: bool = Field(False, description="Replace a product already in output_dir (--replace).")
    browse_max_size: int = Field(800, ge=64, le=4096, description="Largest side of the browse PNG panels, pixels.")
    max_objects: MaxObjects = MAX_OBJECTS
    max_gib: MaxGiB = MAX_GIB
