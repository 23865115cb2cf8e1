"""ESA SNAP's BEAM-DIMAP products: ``<name>.dim`` (XML metadata) + ``<name>.data/`` (one ENVI raster per band).

Layout, as SNAP's writer makes it (snap-engine ``dataio/dimap/DimapHeaderWriter.java`` and ``EnviHeader.java``):

* every band is ``<Image_Interpretation><Spectral_Band_Info>`` with ``BAND_INDEX``, ``BAND_NAME``,
  ``PHYSICAL_UNIT``, ``NO_DATA_VALUE_USED``/``NO_DATA_VALUE`` and, on a map grid, ``IMAGE_TO_MODEL_TRANSFORM`` (Java's
  ``AffineTransform.getMatrix``: x step, 0, 0, y step, x and y of the first pixel's outer corner); its raster is
  ``<Data_Access><Data_File><DATA_FILE_PATH href="<name>.data/<band>.hdr"/>`` + the ``.img`` beside it, float32,
  big-endian (``byte order = 1``), band-sequential;
* a product on a map (after Terrain Correction; SNAP users pick WGS84(DD), lon/lat) has ``map info =
  {Geographic Lat/Lon,...,WGS84,units=Degrees}`` in each ``.hdr`` and a ``<Coordinate_Reference_System><WKT>``; one
  still in radar geometry (tie-point geocoding) has no ``map info``: it is refused, to be terrain-corrected first;
* SNAPHU's import names the band ``Unw_Phase_ifg_<pol>_<ddMMMyyyy>_<ddMMMyyyy>`` (reference, then secondary: the
  reference first, as MintPy's ``prep_snap.py`` reads the dates), coherence ``coh_<pol>_<dates>``; a ``.dim``
  named ``yyyymmdd_yyyymmdd_*.dim`` (MintPy's advice) gives the dates when the band name has none;
* ``<Dataset_Sources>`` -> ``MDElem name="Abstracted_Metadata"`` holds ``MDATTR`` ``radar_frequency`` (unit MHz, s1tbx
  ``AbstractMetadata.java``), ``PASS`` (ASCENDING/DESCENDING), ``REL_ORBIT``, ``incidence_near``/``incidence_far``
  (degrees); 99999 is SNAP's "no value"; its ``Baselines`` element gives the pair's perpendicular baseline
  (:func:`pges.readers.baseline.snap_baseline`).

Sign: SNAP's Interferogram operator forms reference x conj(secondary) (s1tbx ``InterferogramOp``:
``dataMaster.muli(dataSlave.conji())``), as ISCE2 does; SNAPHU keeps that sign, and MintPy loads SNAP's phase as it
loads ISCE2's, unchanged. So the phase is taken as written when the reference is the earlier date, as
:mod:`pges.readers.isce` takes ISCE2's, and negated when SNAP's reference is the later one (the sign is the order
of the pair). The ``displacement`` band of "Phase to Displacement" is left out: its unwrapped phase is what is
ingested (give the product before that step).
"""

from __future__ import annotations

import logging
import re
import warnings
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from rasterio.transform import Affine

from pges.errors import InputValidationError
from pges.readers.baseline import snap_baseline
from pges.readers.common import Interferogram, dates_from_name, order_dates, require_data
from pges.readers.validate import check_grid, check_phase_dtype
from pges.readers.wavelength import resolve_wavelength

__all__ = ["read_snap"]

logger = logging.getLogger(__name__)

_DATE = r"(\d{1,2}[A-Za-z]{3}\d{4})"
_PAIR = re.compile(_DATE + "_" + _DATE)
#: SNAP's Abstracted_Metadata "no value" for numbers
_NO_VALUE = 99999.0
_TERRAIN = ("run SNAP's Terrain Correction (Radar > Geometric > Terrain Correction, map projection WGS84(DD)) and "
            "give the product it writes")


def _fail(path: Path, why: str) -> InputValidationError:
    return InputValidationError(f"{path.name}: {why}")


def _snap_date(text: str, *, what: Path) -> date:
    try:
        return datetime.strptime(text, "%d%b%Y").date()
    except ValueError:
        raise _fail(what, f"cannot parse the date {text!r} in a band name (SNAP writes ddMMMyyyy, e.g. "
                          "16Dec2016); rename the band with its two dates that way") from None


def _abstracted(root: ET.Element) -> dict[str, str]:
    """The first ``Abstracted_Metadata`` element's attributes (the product's own; later ones are secondaries')."""
    for elem in root.iter("MDElem"):
        if elem.get("name") == "Abstracted_Metadata":
            return {a.get("name", ""): (a.text or "").strip() for a in elem.findall("MDATTR")}
    return {}


def _number(meta: dict[str, str], key: str) -> float | None:
    try:
        value = float(meta.get(key, ""))
    except ValueError:
        return None
    return None if value == _NO_VALUE or not np.isfinite(value) else value


def _float(text: str, dim: Path, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _fail(dim, f"{what} is {text!r}, not a number; re-save the product from SNAP") from None


def _bands(root: ET.Element, dim: Path) -> list[dict[str, Any]]:
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
                      "img": dim.parent / (href[:-4] + ".img" if href.lower().endswith(".hdr") else href),
                      "nodata": _float(nodata, dim, f"{name}'s NO_DATA_VALUE") if used and nodata else None,
                      "transform": (info.findtext("IMAGE_TO_MODEL_TRANSFORM") or "").strip() or geoposition})
    return bands


def _raster(band: dict[str, Any], dim: Path) -> tuple[np.ndarray, Affine | None, str]:
    """A band's values (float32, its no-data value and NaN as NaN), its lon/lat grid (None: radar geometry), dtype."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    img: Path = band["img"]
    hdr = img.with_suffix(".hdr")
    for needed in (img, hdr):
        if not needed.is_file():
            raise _fail(dim, f"band {band['name']}'s raster {img.parent.name}/{needed.name} is missing; copy the "
                             f"whole {img.parent.name} folder beside the .dim")
    has_map = re.search(r"^\s*map info\s*=", hdr.read_text(errors="replace"), re.M) is not None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(img) as src:
                data, dtype, gdal_transform = src.read(1), src.dtypes[0], src.transform
    except RasterioIOError as exc:
        raise _fail(dim, f"unreadable band raster {img.name}: {str(exc).splitlines()[0]}") from exc
    values = data.astype(np.float32)
    values[~np.isfinite(values)] = np.nan
    if band["nodata"] is not None:
        values[values == np.float32(band["nodata"])] = np.nan
    if not has_map:
        return values, None, dtype
    numbers = [_float(v, dim, f"{band['name']}'s IMAGE_TO_MODEL_TRANSFORM") for v in band["transform"].split(",")] \
        if band["transform"] else []
    # AffineTransform.getMatrix order: m00 (x step), m10, m01, m11 (y step), m02 (x origin), m12 (y origin)
    transform = Affine(numbers[0], numbers[2], numbers[4], numbers[1], numbers[3], numbers[5]) \
        if len(numbers) == 6 else gdal_transform
    return values, transform, dtype


def _pair(name: str, dim: Path) -> tuple[date, date] | None:
    """(SNAP's reference, secondary) date from a band name (``..._16Dec2016_22Dec2016``), or None."""
    m = _PAIR.search(name)
    if m is None:
        return None
    return _snap_date(m.group(1), what=dim), _snap_date(m.group(2), what=dim)


def read_snap(path: Path, *, wavelength_m: float | None = None) -> list[Interferogram]:
    """One interferogram per unwrapped-phase band (``Unw_Phase*``) of a terrain-corrected BEAM-DIMAP product.

    Raises:
        InputValidationError: no ``.data`` folder, a band raster missing, radar geometry (no ``map info``), no
            unwrapped phase band, an unparsable or missing date, no wavelength, a grid that is not lon/lat.
    """
    dim = Path(path)
    data_dir = dim.with_suffix(".data")
    if not data_dir.is_dir():
        raise _fail(dim, f"no {data_dir.name}/ folder beside it (SNAP writes each band's raster there); copy the "
                         ".dim together with its .data folder")
    try:
        root = ET.parse(dim).getroot()
    except ET.ParseError as exc:
        raise _fail(dim, f"not a readable BEAM-DIMAP XML file ({exc})") from exc
    bands = _bands(root, dim)
    unwrapped = [b for b in bands if b["name"].lower().startswith("unw_phase")]
    if not unwrapped:
        names = ", ".join(b["name"] for b in bands) or "none"
        raise _fail(dim, f"no unwrapped phase band (Unw_Phase_*; bands: {names}); import SNAPHU's result into it "
                         "(Radar > Interferometric > Unwrapping > SNAPHU Import) and terrain-correct it")
    for band in bands:
        if band["name"].lower().startswith("displacement"):
            logger.info("%s: left out band %s (ingested from its unwrapped phase instead)", dim.name, band["name"])
    wkt = " ".join((root.findtext("Coordinate_Reference_System/WKT") or "").split())
    if wkt.upper().startswith("PROJCS"):
        raise _fail(dim, f"on a projected grid ({wkt[:40]}...), not lon/lat; {_TERRAIN} with WGS84(DD)")
    abstracted = _abstracted(root)
    meta = {k: abstracted[k] for k in ("PASS", "REL_ORBIT", "MISSION", "ACQUISITION_MODE") if k in abstracted}
    mhz = _number(abstracted, "radar_frequency")
    if mhz is not None:
        meta["RADAR_FREQUENCY"] = repr(mhz * 1e6)  # SNAP writes MHz; the wavelength module takes Hz
    wavelength, source = resolve_wavelength(wavelength_m, meta, what=dim.name,
                                            looked_for="radar_frequency in its Abstracted_Metadata")
    track = _number(abstracted, "REL_ORBIT")
    direction = abstracted.get("PASS", "").strip().lower()
    orbit_state: Literal["ascending", "descending"] | None = (
        "ascending" if direction == "ascending" else "descending" if direction == "descending" else None)
    near, far = _number(abstracted, "incidence_near"), _number(abstracted, "incidence_far")
    incidence = (near + far) / 2 if near is not None and far is not None and 0 < near < 90 and 0 < far < 90 else None
    out = []
    for band in unwrapped:
        phase, transform, dtype = _raster(band, dim)
        what = f"{dim.name} ({band['name']})"
        if transform is None:
            raise _fail(dim, f"band {band['name']} is in radar geometry (no map info in {band['img'].stem}.hdr); "
                             f"{_TERRAIN}")
        check_phase_dtype(dtype, what=what)
        check_grid(transform, phase.shape, what=what, fields="IMAGE_TO_MODEL_TRANSFORM (.dim) / map info (.hdr)")
        phase[phase == 0] = np.nan  # SNAPHU's import writes 0 where nothing was unwrapped
        require_data(phase, what=what)
        found = _pair(band["name"], dim) or dates_from_name(dim.name)
        if found is None:
            raise _fail(dim, f"no dates in band {band['name']} (SNAP names it Unw_Phase_ifg_<pol>_ddMMMyyyy_ddMMMyyyy) "
                             "nor in the file name (yyyymmdd_yyyymmdd_*.dim); rename the .dim with its dates")
        ref, sec = order_dates(*found, what=what)
        if found[0] == ref:  # SNAP's reference is the later date: reference x conj(secondary) has the other sign
            phase = -phase
        coherence, coherence_path = _coherence(bands, found, dim, phase.shape)
        out.append(Interferogram(
            path=dim, source_format="snap", unwrapped_phase=phase, transform=transform, wavelength_m=wavelength,
            reference_date=ref, secondary_date=sec, nodata_mask=~np.isfinite(phase), coherence=coherence,
            coherence_path=coherence_path, metadata={**meta, "BAND_NAME": band["name"]}, wavelength_source=source,
            track=int(track) if track is not None and track > 0 else None, orbit_state=orbit_state,
            incidence_deg=incidence, perpendicular_baseline_m=snap_baseline(root, found, what=dim.name)))
    return out


def _coherence(bands: list[dict[str, Any]], pair: tuple[date, date], dim: Path,
               shape: tuple[int, ...]) -> tuple[np.ndarray | None, Path | None]:
    """The ``coh_*`` band of the same pair (or the product's only one), checked to be 0..1 on the phase's grid."""
    coh_bands = [b for b in bands if b["name"].lower().startswith("coh")]
    same = [b for b in coh_bands if _pair(b["name"], dim) in (pair, pair[::-1])]
    chosen = same[0] if same else coh_bands[0] if len(coh_bands) == 1 else None
    if chosen is None:
        return None, None
    coh, _, _ = _raster(chosen, dim)
    what = f"{dim.name} ({chosen['name']})"
    if coh.shape != tuple(shape):
        raise _fail(dim, f"band {chosen['name']} is {coh.shape[0]}x{coh.shape[1]} but the phase is "
                         f"{shape[0]}x{shape[1]}")
    coh[coh == 0] = np.nan
    require_data(coh, what=what)
    finite = coh[np.isfinite(coh)]
    if finite.min() < 0 or finite.max() > 1.0001:
        raise _fail(dim, f"band {chosen['name']} ranges {finite.min():.3g}..{finite.max():.3g}, not a coherence 0..1")
    return coh, chosen["img"]
