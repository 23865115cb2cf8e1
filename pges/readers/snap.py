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
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
from rasterio.transform import Affine

from pges.readers.baseline import snap_baseline
from pges.readers.common import Interferogram, dates_from_name, order_dates, require_data
from pges.readers.dimap import abstracted, band_pair, bands, fail, is_unwrapped, number, raster, wrapped_bands
from pges.readers.validate import check_grid, check_phase_dtype
from pges.readers.wavelength import resolve_wavelength

__all__ = ["read_snap"]

logger = logging.getLogger(__name__)

_TERRAIN = ("run SNAP's Terrain Correction (Radar > Geometric > Terrain Correction, map projection WGS84(DD)) and "
            "give the product it writes")


def read_snap(path: Path, *, wavelength_m: float | None = None) -> list[Interferogram]:
    """The interferograms of a terrain-corrected BEAM-DIMAP product.

    One per unwrapped-phase band (``Unw_Phase*``); in a product without one, one wrapped interferogram per
    ``i_ifg``/``q_ifg`` pair (or ``Phase_ifg`` raster), for ``sarlake unwrap``.

    Raises:
        InputValidationError: no ``.data`` folder, a band raster missing, radar geometry (no ``map info``), no
            phase band, an unparsable or missing date, no wavelength, a grid that is not lon/lat.
    """
    dim = Path(path)
    data_dir = dim.with_suffix(".data")
    if not data_dir.is_dir():
        raise fail(dim, f"no {data_dir.name}/ folder beside it (SNAP writes each band's raster there); copy the "
                        ".dim together with its .data folder")
    try:
        root = ET.parse(dim).getroot()
    except ET.ParseError as exc:
        raise fail(dim, f"not a readable BEAM-DIMAP XML file ({exc})") from exc
    all_bands = bands(root, dim)
    unwrapped = [b for b in all_bands if is_unwrapped(b)]
    wrapped = [] if unwrapped else wrapped_bands(all_bands)
    if not unwrapped and not wrapped:
        names = ", ".join(b["name"] for b in all_bands) or "none"
        raise fail(dim, f"no unwrapped phase band (Unw_Phase_*) nor wrapped interferogram (i_ifg_*/q_ifg_*; bands: "
                        f"{names}); import SNAPHU's result into it (Radar > Interferometric > Unwrapping > SNAPHU "
                        "Import) and terrain-correct it, or give the interferogram itself to `sarlake unwrap`")
    for band in all_bands:
        if band["name"].lower().startswith("displacement"):
            logger.info("%s: left out band %s (ingested from its unwrapped phase instead)", dim.name, band["name"])
    wkt = " ".join((root.findtext("Coordinate_Reference_System/WKT") or "").split())
    if wkt.upper().startswith("PROJCS"):
        raise fail(dim, f"on a projected grid ({wkt[:40]}...), not lon/lat; {_TERRAIN} with WGS84(DD)")
    common = _product(root, dim, wavelength_m)
    out = []
    for band, q_band in [(b, None) for b in unwrapped] or wrapped:
        values, transform, what = _phase_raster(band, q_band, dim)
        found = band_pair(band["name"], dim) or dates_from_name(dim.name)
        if found is None:
            raise fail(dim, f"no dates in band {band['name']} (SNAP names it <band>_<pol>_ddMMMyyyy_ddMMMyyyy) nor in "
                            "the file name (yyyymmdd_yyyymmdd_*.dim); rename the .dim with its dates")
        ref, sec = order_dates(*found, what=what)
        if found[0] == ref:  # SNAP's reference is the later date: reference x conj(secondary) has the other sign
            values = np.conj(values) if np.iscomplexobj(values) else -values
        layers: dict[str, Any] = (
            {"unwrapped_phase": None, "wrapped": values, "nodata_mask": values == 0} if np.iscomplexobj(values)
            else {"unwrapped_phase": values, "nodata_mask": ~np.isfinite(values)})
        coherence, coherence_path = _coherence(all_bands, found, dim, values.shape)
        meta = {**common["metadata"], "BAND_NAME": band["name"]}
        out.append(Interferogram(path=dim, source_format="snap", transform=transform, reference_date=ref,
                                 secondary_date=sec, coherence=coherence, coherence_path=coherence_path,
                                 perpendicular_baseline_m=snap_baseline(root, found, what=dim.name),
                                 **layers, **{**common, "metadata": meta}))
    return out


def _product(root: ET.Element, dim: Path, wavelength_m: float | None) -> dict[str, Any]:
    """What the product's ``Abstracted_Metadata`` says of every interferogram in it (Interferogram fields)."""
    said = abstracted(root)
    meta = {k: said[k] for k in ("PASS", "REL_ORBIT", "MISSION", "ACQUISITION_MODE") if k in said}
    mhz = number(said, "radar_frequency")
    if mhz is not None:
        meta["RADAR_FREQUENCY"] = repr(mhz * 1e6)  # SNAP writes MHz; the wavelength module takes Hz
    wavelength, source = resolve_wavelength(wavelength_m, meta, what=dim.name,
                                            looked_for="radar_frequency in its Abstracted_Metadata")
    track = number(said, "REL_ORBIT")
    direction = said.get("PASS", "").strip().lower()
    orbit_state: Literal["ascending", "descending"] | None = (
        "ascending" if direction == "ascending" else "descending" if direction == "descending" else None)
    near, far = number(said, "incidence_near"), number(said, "incidence_far")
    incidence = (near + far) / 2 if near is not None and far is not None and 0 < near < 90 and 0 < far < 90 else None
    return {"wavelength_m": wavelength, "wavelength_source": source, "metadata": meta, "orbit_state": orbit_state,
            "track": int(track) if track is not None and track > 0 else None, "incidence_deg": incidence}


def _phase_raster(band: dict[str, Any], q_band: dict[str, Any] | None,
                  dim: Path) -> tuple[np.ndarray, Affine, str]:
    """A phase band's values on their lon/lat grid, checked, its transform, and its name for messages.

    Unwrapped radians (NaN = no data); with its ``q`` band, the complex interferogram ``i + j q`` (0 = no data); a
    wrapped ``Phase_ifg`` raster as ``exp(j phase)``.
    """
    from pges.readers.geotiff import wrapped_from_radians

    values, transform, dtype = raster(band, dim)
    what = f"{dim.name} ({band['name']})"
    if transform is None:
        raise fail(dim, f"band {band['name']} is in radar geometry (no map info in {band['img'].stem}.hdr); "
                        f"{_TERRAIN}")
    check_phase_dtype(dtype, what=what)
    check_grid(transform, values.shape, what=what, fields="IMAGE_TO_MODEL_TRANSFORM (.dim) / map info (.hdr)")
    values[values == 0] = np.nan  # SNAP writes 0 where there is no data (SNAPHU's import: nothing unwrapped)
    if q_band is not None:
        imag, _, _ = raster(q_band, dim)
        if imag.shape != values.shape:
            raise fail(dim, f"band {q_band['name']} is {imag.shape[0]}x{imag.shape[1]} but {band['name']} is "
                            f"{values.shape[0]}x{values.shape[1]}")
        complex_ifg = np.nan_to_num(values) + 1j * np.nan_to_num(imag)
        require_data(np.where(complex_ifg != 0, np.abs(complex_ifg), np.nan), what=what)
        return complex_ifg.astype(np.complex64), transform, what
    require_data(values, what=what)
    if is_unwrapped(band):
        return values, transform, what
    return wrapped_from_radians(values, what=what), transform, what


def _coherence(bands: list[dict[str, Any]], pair: tuple[date, date], dim: Path,
               shape: tuple[int, ...]) -> tuple[np.ndarray | None, Path | None]:
    """The ``coh_*`` band of the same pair (or the product's only one), checked to be 0..1 on the phase's grid."""
    coh_bands = [b for b in bands if b["name"].lower().startswith("coh")]
    same = [b for b in coh_bands if band_pair(b["name"], dim) in (pair, pair[::-1])]
    chosen = same[0] if same else coh_bands[0] if len(coh_bands) == 1 else None
    if chosen is None:
        return None, None
    coh, _, _ = raster(chosen, dim)
    what = f"{dim.name} ({chosen['name']})"
    if coh.shape != tuple(shape):
        raise fail(dim, f"band {chosen['name']} is {coh.shape[0]}x{coh.shape[1]} but the phase is "
                         f"{shape[0]}x{shape[1]}")
    coh[coh == 0] = np.nan
    require_data(coh, what=what)
    finite = coh[np.isfinite(coh)]
    if finite.min() < 0 or finite.max() > 1.0001:
        raise fail(dim, f"band {chosen['name']} ranges {finite.min():.3g}..{finite.max():.3g}, not a coherence 0..1")
    return coh, chosen["img"]
