"""Parameters of the ``ingest`` PGE (pydantic only: cheap to import for ``--help`` and ``--list``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from pges.contract import PGEParameters

__all__ = ["MAX_GIB", "MAX_OBJECTS", "IngestParameters", "MaxGiB", "MaxObjects"]

#: the most objects ingest (or unwrap) downloads from one S3 listing unless the run-config says (``max_objects``)
MAX_OBJECTS = 2000
#: the most GiB ingest (or unwrap) downloads from one S3 listing unless the run-config says (``max_gib``)
MAX_GIB = 20.0


#: ``max_objects`` of a PGE reading ``s3://`` inputs (:class:`pges.ingest.prefixes.Downloaded`)
MaxObjects = Annotated[int, Field(
    ge=1, le=1_000_000,
    description="Most objects downloaded from one S3 listing (a prefix, an object's folder, a coherence prefix): "
    "more is refused (setting SARLAKE_INGEST__MAX_OBJECTS).",
)]
#: ``max_gib`` of a PGE reading ``s3://`` inputs
MaxGiB = Annotated[float, Field(
    gt=0, le=10_240,
    description="Most GiB downloaded from one S3 listing: more is refused (setting SARLAKE_INGEST__MAX_GIB).",
)]


class IngestParameters(PGEParameters):
    """How to read external interferograms and label the L2_IFG products made from them."""

    source_format: Literal["auto", "geotiff", "roipac", "gamma", "isce2", "gmtsar", "mintpy", "aria", "snap"] = Field(
        "auto",
        description="Format of the inputs: auto (.tif -> geotiff, .h5 -> mintpy, an S1-GUNW .nc -> aria, "
        ".dim -> snap, .grd -> gmtsar, .rsc beside -> "
        "roipac, .xml/.vrt beside -> isce2, .par beside -> gamma).",
    )
    coherence: list[str] = Field(
        default_factory=list,
        description="Explicit coherence files (paths/URIs), paired with the inputs by the dates in their names.",
    )
    coherence_dirs: list[str] = Field(
        default_factory=list,
        description="Folders or s3:// prefixes searched for a coherence file by date (besides the interferogram's "
        "own folder); of a prefix only the coherence files, by name, are downloaded.",
    )
    wavelength_m: float | None = Field(
        None, gt=0.001, lt=1.0,
        description="Radar wavelength, m (--wavelength): used when a header lacks it, and overrides the header's.",
    )
    los_sign: Literal["toward", "away"] | None = Field(
        None,
        description="GeoTIFFs in a length (mm, cm, m): which way a positive value points, toward the satellite or "
        "away (--los-sign); overrides what the file says. A length whose file says neither is refused without it.",
    )
    aoi: str | None = Field(None, description="Name of the area of interest the products belong to (optional).")
    mission: str | None = Field(None, description="Platform, e.g. 'envisat' or 'sentinel-1a' (optional).")
    track: int | None = Field(None, ge=0, le=9999, description="Relative orbit / track number (optional).")
    orbit_state: Literal["ascending", "descending"] | None = Field(None, description="Pass direction (optional).")
    overwrite: bool = Field(
        False, description="Replace products already in output_dir (--replace: new coherence, corrected wavelength)."
    )
    skip_bad: bool = Field(
        False, description="Skip inputs that fail validation (reported) instead of publishing nothing (--skip-bad)."
    )
    revision: int | None = Field(
        None, ge=2, le=999,
        description="A new version of the products with the same PGE version (--revision N): their version becomes "
        "'<PGE version>.<N>', so new content of a product the roll archived is delivered to the DAAC as a new version "
        "instead of refused. Empty: the PGE version.",
    )
    max_objects: MaxObjects = MAX_OBJECTS
    max_gib: MaxGiB = MAX_GIB
    aoi_wkt: str | None = Field(
        None, description="The AOI's polygon (WKT, EPSG:4326): inputs whose footprint does not overlap it are refused."
    )
