"""Single-band GeoTIFF unwrapped interferograms (radians), e.g. exported from ISCE, SNAP or ARIA-tools.

Band 1 is the unwrapped phase in radians; the file's nodata value and NaN are no data. The grid must be
in EPSG:4326 (lon/lat). Dates come from the tags ``REFERENCE_DATE``/``SECONDARY_DATE`` (or sarlake's
``sarlake:reference_date``), ``DATE12``, or the file name (``..._20060619-20061002...``); the wavelength
from a ``WAVELENGTH`` tag (m) or the caller.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

from pges.errors import InputValidationError
from pges.readers.common import (
    Interferogram,
    check_coherence_shape,
    dates_from_name,
    order_dates,
    parse_date,
    require_data,
)

__all__ = ["read_geotiff_band", "read_geotiff_unw"]

logger = logging.getLogger(__name__)

_REF_KEYS = ("REFERENCE_DATE", "SARLAKE:REFERENCE_DATE", "REF_DATE")
_SEC_KEYS = ("SECONDARY_DATE", "SARLAKE:SECONDARY_DATE", "SEC_DATE")


def read_geotiff_band(path: Path) -> tuple[np.ndarray, dict[str, str], Any, Any]:
    """Band 1 as float32 with nodata -> NaN, the upper-cased tags, the transform and the CRS.

    Raises:
        InputValidationError: missing or unreadable file, no valid value.
    """
    path = Path(path)
    if not path.is_file():
        raise InputValidationError(f"{path.name}: file does not exist ({path})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                data = src.read(1).astype(np.float32)
                nodata = src.nodata
                tags = {k.upper(): v for k, v in src.tags().items()}
                tags.update({k.upper(): v for k, v in src.tags(1).items()})
                transform, crs = src.transform, src.crs
    except RasterioIOError as exc:
        raise InputValidationError(f"{path.name}: corrupt or unreadable GeoTIFF: {str(exc).splitlines()[0]}") from exc
    if nodata is not None and np.isfinite(nodata):
        data[data == nodata] = np.nan
    require_data(data, what=path.name)
    return data, tags, transform, crs


def read_geotiff_unw(
    path: Path,
    *,
    wavelength_m: float | None = None,
    coherence: np.ndarray | None = None,
    coherence_path: Path | None = None,
) -> Interferogram:
    """Read a single-band unwrapped-phase GeoTIFF (radians) on an EPSG:4326 grid.

    Raises:
        InputValidationError: unreadable file, not EPSG:4326, no dates, no wavelength, no valid phase,
            coherence of another shape.
    """
    path = Path(path)
    phase, tags, transform, crs = read_geotiff_band(path)
    if crs is None or crs.to_epsg() != 4326:
        raise InputValidationError(f"{path.name}: grid CRS is {crs}, expected EPSG:4326 (lon/lat)")
    ref_txt = next((tags[k] for k in _REF_KEYS if k in tags), None)
    sec_txt = next((tags[k] for k in _SEC_KEYS if k in tags), None)
    if ref_txt and sec_txt:
        d1, d2 = parse_date(ref_txt, what=f"{path.name} tag"), parse_date(sec_txt, what=f"{path.name} tag")
    elif "DATE12" in tags:
        found = dates_from_name(tags["DATE12"])
        if found is None:
            raise InputValidationError(f"{path.name}: cannot parse DATE12 tag {tags['DATE12']!r}")
        d1, d2 = found
    else:
        found = dates_from_name(path.name)
        if found is None:
            raise InputValidationError(f"{path.name}: no date tags and no YYYYMMDD-YYYYMMDD dates in the file name")
        d1, d2 = found
    ref, sec = order_dates(d1, d2, what=path.name)
    wl_txt = tags.get("WAVELENGTH") or tags.get("SARLAKE:WAVELENGTH_M")
    try:
        wavelength = wavelength_m or (float(wl_txt) if wl_txt else None)
    except ValueError:
        raise InputValidationError(f"{path.name}: WAVELENGTH tag {wl_txt!r} is not a number") from None
    if wavelength is None:
        raise InputValidationError(f"{path.name}: no WAVELENGTH tag; give the wavelength (wavelength_m)")
    check_coherence_shape(coherence, coherence_path, phase.shape, path)
    return Interferogram(
        path=path,
        source_format="geotiff",
        unwrapped_phase=phase,
        transform=transform,
        wavelength_m=float(wavelength),
        reference_date=ref,
        secondary_date=sec,
        nodata_mask=~np.isfinite(phase),
        coherence=coherence,
        coherence_path=coherence_path,
        metadata=dict(tags),
    )
