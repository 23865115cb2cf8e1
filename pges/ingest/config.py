"""Parameters of the ``ingest`` PGE (pydantic only: cheap to import for ``--help`` and ``--list``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pges.contract import PGEParameters

__all__ = ["IngestParameters"]


class IngestParameters(PGEParameters):
    """How to read external interferograms and label the L2_IFG products made from them."""

    source_format: Literal["auto", "geotiff", "roipac", "gamma"] = Field(
        "auto",
        description="Format of the inputs: auto (.tif -> geotiff, .rsc beside -> roipac, .par beside -> gamma).",
    )
    coherence: list[str] = Field(
        default_factory=list,
        description="Explicit coherence files (paths/URIs), paired with the inputs by the dates in their names.",
    )
    coherence_dirs: list[str] = Field(
        default_factory=list,
        description="Folders searched for a coherence file by date (besides the interferogram's own folder).",
    )
    wavelength_m: float | None = Field(
        None, gt=0.001, lt=1.0, description="Radar wavelength, m, for GeoTIFF/GAMMA inputs whose headers lack it."
    )
    aoi: str | None = Field(None, description="Name of the area of interest the products belong to (optional).")
    mission: str | None = Field(None, description="Platform, e.g. 'envisat' or 'sentinel-1a' (optional).")
    track: int | None = Field(None, ge=0, le=9999, description="Relative orbit / track number (optional).")
    orbit_state: Literal["ascending", "descending"] | None = Field(None, description="Pass direction (optional).")
    overwrite: bool = Field(False, description="Re-ingest products already in output_dir (default: keep them).")
