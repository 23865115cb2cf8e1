"""Single-band GeoTIFF interferograms, e.g. exported from ISCE, SNAP, ARIA-tools or PyRate.

Band 1 is the unwrapped phase in radians (float), or a wrapped interferogram (complex: ``amp * exp(i phase)``, or
float radians in a file named as wrapped, such as HyP3's ``_wrapped_phase.tif``);
the file's nodata value and NaN are no data. A grid in any other CRS than EPSG:4326 (lon/lat), such as HyP3's UTM,
is warped onto lon/lat (:mod:`pges.readers.reproject`). Dates come from the
tags ``REFERENCE_DATE``/``SECONDARY_DATE`` (or sarlake's ``sarlake:reference_date``), PyRate's
``FIRST_DATE``/``SECOND_DATE`` (older ``MASTER_DATE``/``SLAVE_DATE``), ``DATE12``, or the file name
(``..._20060619-20061002...``); the wavelength from any convention of :mod:`pges.readers.wavelength`
(``WAVELENGTH``, PyRate's ``WAVELENGTH_METRES``, ...) or ``--wavelength``. A PyRate GeoTIFF whose
``DATA_UNITS`` is ``MILLIMETRES`` is converted back to radians with PyRate's own factor
(``mm = phase * wavelength * 1000 / (4 pi)``, PyRate ``shared.Ifg.convert_to_mm``); so is a band in centimetres or
metres (by the tag, or GDAL's band unit type), with the sign the file states or ``--los-sign`` gives
(:mod:`pges.readers.los_sign`), and any other declared unit but radians is refused.
"""

from __future__ import annotations

import logging
import re
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
from pges.readers.hyp3 import hyp3_geometry, hyp3_wavelength
from pges.readers.licsar import licsar_geometry, licsar_wavelength
from pges.readers.los_sign import LosSign, length_sign
from pges.readers.reproject import is_lonlat, to_lonlat
from pges.readers.validate import check_grid, check_phase_dtype
from pges.readers.wavelength import LOOKED_FOR, resolve_wavelength, wavelength_from_metadata

__all__ = ["named_wrapped", "phase_in_radians", "read_geotiff_band", "read_geotiff_unw", "wrapped_from_radians"]

logger = logging.getLogger(__name__)

_REF_KEYS = ("REFERENCE_DATE", "SARLAKE:REFERENCE_DATE", "REF_DATE", "SECOND_DATE", "SLAVE_DATE")
_SEC_KEYS = ("SECONDARY_DATE", "SARLAKE:SECONDARY_DATE", "SEC_DATE", "FIRST_DATE", "MASTER_DATE")
#: the tags that give a phase band's unit (the first present wins; GDAL's band unit type last)
_UNIT_TAGS = ("DATA_UNITS", "PHASE_UNITS", "UNITS", "_UNITS")
#: the length units a phase band may be in, upper-cased (PyRate: MILLIMETRES), as millimetres per unit
_MM_PER = {name: mm for names, mm in ((("MM", "MILLIMETRE", "MILLIMETRES", "MILLIMETER", "MILLIMETERS"), 1.0),
                                      (("CM", "CENTIMETRE", "CENTIMETRES", "CENTIMETER", "CENTIMETERS"), 10.0),
                                      (("M", "METRE", "METRES", "METER", "METERS"), 1000.0)) for name in names}
_RADIANS = ("RAD", "RADIAN", "RADIANS")


#: a file name that says its band is wrapped phase in radians (HyP3's ``_wrapped_phase.tif``, sarlake's own,
#: LiCSAR's ``.geo.diff_pha.tif`` and ``.geo.diff_unfiltered_pha.tif``)
_WRAPPED_NAME = re.compile(r"(^|[._-])(wrap|wrapped|diff_pha|diff_unfiltered_pha)([._-]|$)", re.IGNORECASE)


def named_wrapped(path: Path) -> bool:
    """True when a GeoTIFF's name says it holds wrapped phase (``..._wrapped_phase.tif``, ``x.geo.diff_pha.tif``)."""
    return _WRAPPED_NAME.search(Path(path).name) is not None


def wrapped_from_radians(phase: np.ndarray, *, what: str) -> np.ndarray:
    """A float band of wrapped phase (radians, NaN = no data) as the complex interferogram ``exp(i phase)``.

    Raises:
        InputValidationError: values beyond -pi..pi: not wrapped phase, whatever its name says.
    """
    finite = phase[np.isfinite(phase)]
    if finite.size and (finite.min() < -np.pi - 1e-3 or finite.max() > np.pi + 1e-3):
        raise InputValidationError(f"{what}: named as wrapped phase but its values span {finite.min():.3g}.."
                                   f"{finite.max():.3g}, beyond -pi..pi; if it is unwrapped phase, rename it without "
                                   "'wrapped'")
    return np.where(np.isfinite(phase), np.exp(1j * np.nan_to_num(phase)), 0).astype(np.complex64)


def read_geotiff_band(path: Path, *, keep_complex: bool = False, zero_is_data: bool = False,
                      empty: str | None = None) -> tuple[np.ndarray, dict[str, str], Any, Any]:
    """Band 1 as float32 with nodata -> NaN, the upper-cased tags, the transform and the CRS.

    With ``keep_complex`` a complex band stays complex64 (no-data pixels 0). With ``zero_is_data`` a band of
    zeros is data (a DEM at sea level), not a file with nothing in it; ``empty`` says what a band with no value
    means (:func:`pges.readers.common.require_data`). The tags also carry the band's
    data type as ``_DTYPE``, its description as ``_DESCRIPTION`` (used to tell what a raster is), its GDAL unit
    type as ``_UNITS``, the file's band count as ``_COUNT`` and its no-data value as ``_NODATA`` (empty when the
    file declares none).

    Raises:
        InputValidationError: missing or unreadable file, not a GeoTIFF (a PNG renamed ``.tif``), no valid value
            (all NaN or no data, or all zero unless ``zero_is_data``).
    """
    path = Path(path)
    if not path.is_file():
        raise InputValidationError(f"{path.name}: file does not exist ({path})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                if src.driver != "GTiff":
                    raise InputValidationError(
                        f"{path.name}: is a {src.driver} file, not a GeoTIFF (renamed?); give the real GeoTIFF"
                    )
                raw = src.read(1)
                nodata = src.nodata
                tags = {k.upper(): v for k, v in src.tags().items()}
                tags.update({k.upper(): v for k, v in src.tags(1).items()})
                tags["_DTYPE"] = raw.dtype.name
                tags["_UNITS"] = src.units[0] or ""
                tags["_COUNT"] = str(src.count)
                tags["_NODATA"] = "" if nodata is None else repr(nodata)
                tags["_DESCRIPTION"] = src.descriptions[0] or ""
                transform, crs = src.transform, src.crs
    except RasterioIOError as exc:
        raise InputValidationError(f"{path.name}: corrupt or unreadable GeoTIFF: {str(exc).splitlines()[0]}") from exc
    if raw.dtype.kind == "c" and keep_complex:
        cplx = raw.astype(np.complex64)
        cplx[~np.isfinite(cplx)] = 0
        if not np.any(cplx != 0):
            raise InputValidationError(f"{path.name}: every pixel is zero (no data)")
        return cplx, tags, transform, crs
    data = np.abs(raw).astype(np.float32) if raw.dtype.kind == "c" else raw.astype(np.float32)
    if nodata is not None and np.isfinite(nodata):
        data[raw == nodata] = np.nan
    require_data(data, what=path.name, zero_is_data=zero_is_data, empty=empty)
    return data, tags, transform, crs


def phase_in_radians(phase: np.ndarray, tags: dict[str, str], wavelength_m: float | None, *,
                     what: str, los_sign: LosSign | None = None) -> np.ndarray:
    """Unwrapped phase in radians, from a band in radians or in a length (mm, cm, m) of line-of-sight change.

    A band whose unit is a length is converted with the radar wavelength (4 pi / wavelength per metre), with the
    sign :func:`pges.readers.los_sign.length_sign` finds (``los_sign``, the file's own words, PyRate's
    ``DATA_UNITS``); a band in radians, or of no declared unit, is taken as is.

    Args:
        phase: band 1 (upper-cased ``tags`` from :func:`read_geotiff_band`).
        tags: the file's tags; the unit (any case) is the first of ``DATA_UNITS``, ``PHASE_UNITS``, ``UNITS`` and
            the band's GDAL unit type.
        wavelength_m: metres; None: the tags' (looked up only for a band in a length).
        what: the file, named in errors.
        los_sign: ``--los-sign``: which way a positive length points (overrides the file's own words).

    Raises:
        InputValidationError: a unit neither radians nor a length; a length with no wavelength given or in the
            tags, or with no sign (:func:`pges.readers.los_sign.length_sign`).
    """
    key = next((k for k in _UNIT_TAGS if tags.get(k, "").strip()), "")
    units = tags[key].strip() if key else ""
    where = "band unit type" if key == "_UNITS" else key
    if not units or units.upper() in _RADIANS:
        return phase
    mm_per = _MM_PER.get(units.upper())
    if mm_per is None:
        raise InputValidationError(f"{what}: phase in {units} ({where}), not radians nor a length (mm, cm, m); give "
                                   "the phase in one of those")
    if wavelength_m is None:
        found = wavelength_from_metadata(tags, what=what)
        if found is None:
            raise InputValidationError(f"{what}: phase in {units} ({where}) and no radar wavelength in its metadata "
                                       f"({LOOKED_FOR}) to turn it into radians; tag the wavelength, or give the "
                                       "phase in radians")
        wavelength_m = found[0]
    sign = length_sign(tags, key, los_sign, what=what, units=units)
    logger.info("%s: %s %s converted to radians", what, where, units)
    return (phase * (sign * mm_per * 4 * np.pi / (wavelength_m * 1000.0))).astype(np.float32)


def _dates(path: Path, tags: dict[str, str]) -> tuple[Any, Any]:
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
    return order_dates(d1, d2, what=path.name)


def read_geotiff_unw(
    path: Path,
    *,
    wavelength_m: float | None = None,
    coherence: np.ndarray | None = None,
    coherence_path: Path | None = None,
    los_sign: LosSign | None = None,
) -> Interferogram:
    """Read a single-band GeoTIFF interferogram: unwrapped (float) or wrapped (complex).

    A grid in another CRS than EPSG:4326 (HyP3's UTM) is warped onto lon/lat, nearest pixel
    (:mod:`pges.readers.reproject`); ``source_crs`` then names the CRS it came in.

    Raises:
        InputValidationError: unreadable file or not a GeoTIFF, more than one band, no CRS, a grid off
            the globe, no dates, no wavelength (names ``--wavelength``), integer phase, no valid phase, coherence of
            another shape, a length without its sign (names ``--los-sign``).
    """
    path = Path(path)
    data, tags, transform, crs = read_geotiff_band(path, keep_complex=True)
    check_phase_dtype(tags["_DTYPE"], what=f"{path.name} band 1", wrapped=np.dtype(tags["_DTYPE"]).kind == "c")
    if int(tags.get("_COUNT", "1")) > 1:  # band 1 of a multi-band export is often the amplitude
        raise InputValidationError(f"{path.name}: {tags['_COUNT']} bands; an interferogram GeoTIFF holds one band of "
                                   "phase (extract it first, e.g. gdal_translate -b N IN OUT.tif)")
    if crs is None:
        raise InputValidationError(f"{path.name}: the GeoTIFF has no CRS, so where its pixels are is unknown; give it "
                                   "its CRS (e.g. gdal_edit.py -a_srs EPSG:4326 FILE)")
    source_crs = None
    if not is_lonlat(crs):  # HyP3's UTM, any projected export: onto lon/lat, as every product is
        source_crs = str(crs)
        data, transform = to_lonlat(data, crs, transform, what=path.name)
    check_grid(transform, data.shape, what=path.name, fields="GeoTIFF geotransform")
    ref, sec = _dates(path, tags)
    named = hyp3_wavelength(path.name) or licsar_wavelength(path)  # what a HyP3 or LiCSAR name says: Sentinel-1
    wavelength, source = resolve_wavelength(wavelength_m, tags, what=path.name, default=named)
    if data.dtype.kind == "f" and named_wrapped(path):  # wrapped phase in radians (HyP3's _wrapped_phase.tif)
        data = wrapped_from_radians(data, what=path.name)
    wrapped = data.dtype.kind == "c"
    phase: np.ndarray | None = None
    if not wrapped:
        phase = phase_in_radians(data, tags, wavelength, what=path.name, los_sign=los_sign)
    check_coherence_shape(coherence, coherence_path, data.shape, path)
    return Interferogram(
        path=path,
        source_format="geotiff",
        unwrapped_phase=phase,
        transform=transform,
        wavelength_m=wavelength,
        reference_date=ref,
        secondary_date=sec,
        nodata_mask=(data == 0) if wrapped else ~np.isfinite(data),
        coherence=coherence,
        coherence_path=coherence_path,
        metadata={k: v for k, v in tags.items() if not k.startswith("_")},
        wrapped=data if wrapped else None,
        wavelength_source=source,
        source_crs=source_crs,
        **{"track": _tagged_track(tags), **hyp3_geometry(path),
           **licsar_geometry(path, transform, data.shape, (ref, sec))},
    )


def _tagged_track(tags: dict[str, str]) -> int | None:
    """A ``TRACK`` tag that is a number, or None (free text such as 'T71 asc' says nothing to trust)."""
    said = tags.get("TRACK", "").strip()
    return int(said) if said.isdigit() else None
