"""BEAM-DIMAP files as ESA SNAP writes them: the ``.dim``'s bands and metadata, each band's ENVI raster.

What :mod:`pges.readers.snap` reads a product through: the band list (``Spectral_Band_Info`` with its ``Data_File``),
a band's raster (big-endian float32 ``.img`` + ``.hdr``; its lon/lat grid, or None in radar geometry), the dates in a
band name (``..._16Dec2016_28Dec2016``, reference first), the ``Abstracted_Metadata`` attributes, and which kind of
phase a product holds (:func:`phase_bands_kind`) without reading a raster.
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from rasterio.transform import Affine

from pges.errors import InputValidationError

__all__ = ["NO_VALUE", "abstracted", "band_pair", "bands", "fail", "is_unwrapped", "number", "parse_float",
           "phase_bands_kind", "raster", "wrapped_bands"]

_DATE = r"(\d{1,2}[A-Za-z]{3}\d{4})"
_PAIR = re.compile(_DATE + "_" + _DATE)
#: SNAP's Abstracted_Metadata "no value" for numbers
NO_VALUE = 99999.0


def fail(path: Path, why: str) -> InputValidationError:
    """The refusal of a product: ``<name>.dim: why``."""
    return InputValidationError(f"{path.name}: {why}")


def snap_date(text: str, *, what: Path) -> date:
    """A date as SNAP writes it in band names (``16Dec2016``); refused, naming ``what``, when it is none."""
    try:
        return datetime.strptime(text, "%d%b%Y").date()
    except ValueError:
        raise fail(what, f"cannot parse the date {text!r} in a band name (SNAP writes ddMMMyyyy, e.g. "
                         "16Dec2016); rename the band with its two dates that way") from None


def abstracted(root: ET.Element) -> dict[str, str]:
    """The first ``Abstracted_Metadata`` element's attributes (the product's own; later ones are secondaries')."""
    for elem in root.iter("MDElem"):
        if elem.get("name") == "Abstracted_Metadata":
            return {a.get("name", ""): (a.text or "").strip() for a in elem.findall("MDATTR")}
    return {}


def number(meta: dict[str, str], key: str) -> float | None:
    """An ``Abstracted_Metadata`` number, or None when it is missing, not a number or SNAP's "no value"."""
    try:
        value = float(meta.get(key, ""))
    except ValueError:
        return None
    return None if value == NO_VALUE or not np.isfinite(value) else value


def parse_float(text: str, dim: Path, what: str) -> float:
    """A number the product's structure needs (a no-data value, a transform); refused, naming ``what``, if none."""
    try:
        return float(text)
    except ValueError:
        raise fail(dim, f"{what} is {text!r}, not a number; re-save the product from SNAP") from None


def bands(root: ET.Element, dim: Path) -> list[dict[str, Any]]:
    """Every band: its name, unit, no-data value, raster (``.img``) and IMAGE_TO_MODEL_TRANSFORM, in band order."""
    files: dict[str, str] = {}
    for data_file in root.iter("Data_File"):
        path_elem = data_file.find("DATA_FILE_PATH")
        if path_elem is not None and path_elem.get("href"):
            files[(data_file.findtext("BAND_INDEX") or "").strip()] = path_elem.get("href", "")
    geoposition = (root.findtext("Geoposition/IMAGE_TO_MODEL_TRANSFORM") or "").strip()
    bands = []
    for info in root.iter("Spectral_Band_Info"):
        index, name = (info.findtext("BAND_INDEX") or "").strip(), (info.findtext("BAND_NAME") or "").strip()
        href = files.get(index, f"{dim.stem}.data/{name}.hdr")
        nodata = (info.findtext("NO_DATA_VALUE") or "").strip()
        used = (info.findtext("NO_DATA_VALUE_USED") or "").strip().lower() == "true"
        bands.append({"name": name, "unit": (info.findtext("PHYSICAL_UNIT") or "").strip(),
                      "virtual": (info.findtext("VIRTUAL_BAND") or "").strip().lower() == "true",
                      "img": dim.parent / (href[:-4] + ".img" if href.lower().endswith(".hdr") else href),
                      "nodata": parse_float(nodata, dim, f"{name}'s NO_DATA_VALUE") if used and nodata else None,
                      "transform": (info.findtext("IMAGE_TO_MODEL_TRANSFORM") or "").strip() or geoposition})
    return bands


def raster(band: dict[str, Any], dim: Path) -> tuple[np.ndarray, Affine | None, str]:
    """A band's values (float32, its no-data value and NaN as NaN), its lon/lat grid (None: radar geometry), dtype."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    img: Path = band["img"]
    hdr = img.with_suffix(".hdr")
    for needed in (img, hdr):
        if not needed.is_file():
            raise fail(dim, f"band {band['name']}'s raster {img.parent.name}/{needed.name} is missing; copy the "
                             f"whole {img.parent.name} folder beside the .dim")
    has_map = re.search(r"^\s*map info\s*=", hdr.read_text(errors="replace"), re.M) is not None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(img) as src:
                data, dtype, gdal_transform = src.read(1), src.dtypes[0], src.transform
    except RasterioIOError as exc:
        raise fail(dim, f"unreadable band raster {img.name}: {str(exc).splitlines()[0]}") from exc
    values = data.astype(np.float32)
    values[~np.isfinite(values)] = np.nan
    if band["nodata"] is not None:
        values[values == np.float32(band["nodata"])] = np.nan
    if not has_map:
        return values, None, dtype
    where = f"{band['name']}'s IMAGE_TO_MODEL_TRANSFORM"
    numbers = [parse_float(v, dim, where) for v in band["transform"].split(",")] if band["transform"] else []
    # AffineTransform.getMatrix order: m00 (x step), m10, m01, m11 (y step), m02 (x origin), m12 (y origin)
    transform = Affine(numbers[0], numbers[2], numbers[4], numbers[1], numbers[3], numbers[5]) \
        if len(numbers) == 6 else gdal_transform
    return values, transform, dtype


def band_pair(name: str, dim: Path) -> tuple[date, date] | None:
    """(SNAP's reference, secondary) date from a band name (``..._16Dec2016_22Dec2016``), or None."""
    m = _PAIR.search(name)
    if m is None:
        return None
    return snap_date(m.group(1), what=dim), snap_date(m.group(2), what=dim)


def is_unwrapped(band: dict[str, Any]) -> bool:
    """SNAPHU's import band, ``Unw_Phase_ifg_<pol>_<dates>``."""
    return str(band["name"]).lower().startswith("unw_phase")


def wrapped_bands(all_bands: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """The wrapped interferograms of a product, as (band, its ``q`` band or None).

    Each ``i_ifg_*`` band with its ``q_ifg_*`` band (SNAP's Interferogram operator writes the complex interferogram
    so), else each ``Phase_ifg_*`` band written as a raster (radians), with None. SNAP's own ``Phase_ifg_*`` is a
    virtual band (an expression of i and q, no raster): left to its i and q.
    """
    by_name = {str(b["name"]).lower(): b for b in all_bands}
    pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = [
        (b, by_name["q" + str(b["name"]).lower()[1:]]) for b in all_bands
        if str(b["name"]).lower().startswith("i_ifg") and "q" + str(b["name"]).lower()[1:] in by_name]
    return pairs or [(b, None) for b in all_bands
                     if str(b["name"]).lower().startswith("phase_ifg") and not b["virtual"]]


def phase_bands_kind(dim: Path) -> Literal["wrapped", "unwrapped"] | None:
    """Which phase a product holds, from its ``.dim`` alone (no raster read).

    ``unwrapped`` when it has an ``Unw_Phase`` band, ``wrapped`` when it has only a wrapped interferogram
    (:func:`wrapped_bands`), None when it has neither or its ``.dim`` cannot be parsed (its reader says why).
    """
    try:
        found = bands(ET.parse(dim).getroot(), Path(dim))
    except (ET.ParseError, OSError, InputValidationError):
        return None
    if any(is_unwrapped(b) for b in found):
        return "unwrapped"
    return "wrapped" if wrapped_bands(found) else None
