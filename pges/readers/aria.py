"""ARIA's standard product: the Sentinel-1 Geocoded Unwrapped Interferogram (GUNW), one netCDF4 file per pair.

Layout (ARIA-tools and MintPy's ``prep_aria.py`` read the same layers):

* ``/science/grids/data/unwrappedPhase`` (latitude, longitude) float32, radians, 0 = no data;
  ``coherence`` float32 0..1; ``connectedComponents`` int16 (0 = not unwrapped, -1 = no data); ``amplitude``;
  ``latitude`` and ``longitude`` the pixel centres (1-D, degrees);
* ``/science/radarMetaData/wavelength`` (m); without it, a file named ``S1-GUNW-...`` is Sentinel-1 (C band,
  5.405 GHz), ``--wavelength`` winning over both;
* ``/science/grids/imagingGeometry/incidenceAngle`` and ``azimuthAngle`` (heightsMeta, latitudeMeta, longitudeMeta)
  degrees, when the product has them: one incidence and one platform heading for the product
  (:mod:`pges.readers.aria_geometry`), as a HyP3 parameter file gives them; without them both are None;
  ``perpendicularBaseline`` (m, the earlier secondary's relative to the later reference): negated, the pair's baseline;
* the file name ``S1-GUNW-{A|D}-{R|L}-{track:03d}-tops-{reference}_{secondary}-{time}-{lon}_{lat}-PP-{hash}-v{ver}.nc``:
  pass direction, relative orbit (track) and the two dates, the reference being the LATER one.

**Sign.** ARIA forms reference (later) x conj(secondary), so its phase is positive where the range *decreased*:
the other way round from sarlake's (and MintPy's) ``phi(later) - phi(earlier)``, positive = range increase.
MintPy's ``prep_aria.py`` negates it ("date2_date1 -> date1_date2"); so does this reader.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.transform import Affine

from pges.errors import InputValidationError
from pges.readers.aria_geometry import gunw_geometry
from pges.readers.common import Interferogram, dates_from_name_or_fail, open_hdf5, order_dates, parse_date
from pges.readers.validate import check_grid
from pges.readers.wavelength import SENTINEL1_WAVELENGTH_M, resolve_wavelength

__all__ = ["GUNW_LAYERS", "is_aria_gunw", "read_aria_gunw"]

logger = logging.getLogger(__name__)

GUNW_LAYERS = "science/grids/data"
_NAME = re.compile(r"S1-GUNW-(?P<dir>[AD])-[RL]-(?P<track>\d{3})-tops-(?P<ref>\d{8})_(?P<sec>\d{8})-", re.IGNORECASE)


def is_aria_gunw(path: Path) -> bool:
    """True for a netCDF4/HDF5 file with ARIA's ``/science/grids/data/unwrappedPhase``."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return f"{GUNW_LAYERS}/unwrappedPhase" in f
    except OSError:
        return False


def _layer(f: Any, name: str, *, fill: float | None = None) -> np.ndarray | None:
    """A 2-D layer as float32 with its ``_FillValue`` (and ``fill``) as NaN, or None when the product lacks it."""
    key = f"{GUNW_LAYERS}/{name}"
    if key not in f:
        return None
    ds = f[key]
    data = ds[()].astype(np.float32)
    for value in (ds.attrs.get("_FillValue"), fill):
        if value is not None:
            data[data == np.asarray(value).item()] = np.nan
    data[~np.isfinite(data)] = np.nan
    return data


def _grid(f: Any, shape: tuple[int, int], what: str) -> tuple[Affine, bool]:
    """The pixel-corner transform from the centres in ``latitude``/``longitude``; True when rows run south-north."""
    lat = np.asarray(f[f"{GUNW_LAYERS}/latitude"][()], dtype=np.float64)
    lon = np.asarray(f[f"{GUNW_LAYERS}/longitude"][()], dtype=np.float64)
    if lat.shape != (shape[0],) or lon.shape != (shape[1],) or min(shape) < 2:
        raise InputValidationError(f"{what}: latitude {lat.shape} and longitude {lon.shape} do not match "
                                   f"unwrappedPhase {shape}")
    dx, dy = (lon[-1] - lon[0]) / (shape[1] - 1), (lat[-1] - lat[0]) / (shape[0] - 1)
    north_up = dy < 0
    top = lat[0] if north_up else lat[-1]
    transform = Affine(dx, 0.0, lon[0] - dx / 2, 0.0, -abs(dy), top + abs(dy) / 2)
    check_grid(transform, shape, what=what, fields=("longitude", "longitude step", "latitude", "latitude step"))
    return transform, not north_up


def read_aria_gunw(path: Path, *, wavelength_m: float | None = None) -> Interferogram:
    """Read an ARIA GUNW: the unwrapped phase in sarlake's sign, coherence, connected components, amplitude.

    With its imaging-geometry cubes, also its incidence, heading and perpendicular baseline
    (:func:`pges.readers.aria_geometry.gunw_geometry`).

    Raises:
        InputValidationError: not a GUNW, a grid that does not match its layers, no dates in the name, no
            wavelength (names ``--wavelength``), no valid phase.
    """
    path = Path(path)
    what = path.name
    with open_hdf5(path, kind="netCDF4/HDF5") as f:
        phase = _layer(f, "unwrappedPhase", fill=0.0)
        if phase is None or phase.ndim != 2:
            raise InputValidationError(f"{what}: no 2-D {GUNW_LAYERS}/unwrappedPhase: not an ARIA GUNW")
        if not np.isfinite(phase).any():
            raise InputValidationError(f"{what}: unwrappedPhase holds no valid pixel (all 0 or fill)")
        transform, flip = _grid(f, phase.shape, what)
        geometry = gunw_geometry(f, transform, phase.shape, what=what)
        meta = {k.upper(): v for k, v in f.attrs.items()}
        if "science/radarMetaData/wavelength" in f:
            meta["WAVELENGTH"] = float(np.asarray(f["science/radarMetaData/wavelength"][()]).ravel()[0])
        coherence = _layer(f, "coherence", fill=0.0)
        components = _layer(f, "connectedComponents", fill=-1.0)
        amplitude = _layer(f, "amplitude", fill=0.0)
    layers = [phase, coherence, components, amplitude]
    if flip:  # rows south to north: north up, as every product is
        layers = [None if a is None else a[::-1] for a in layers]
    phase, coherence, components, amplitude = layers
    assert phase is not None
    named = _NAME.search(path.name)
    sentinel1 = (SENTINEL1_WAVELENGTH_M, "S1-GUNW file name (Sentinel-1)") if named else None
    wavelength, source = resolve_wavelength(wavelength_m, meta, what=what, default=sentinel1,
                                            looked_for="/science/radarMetaData/wavelength")
    d1, d2 = ((parse_date(named["ref"], what=what), parse_date(named["sec"], what=what)) if named
              else dates_from_name_or_fail(path, looked_in="S1-GUNW name"))
    ref, sec = order_dates(d1, d2, what=what)
    labels: dict[str, Any] = {"track": int(named["track"]), "orbit_state": "ascending" if named["dir"].upper() == "A"
                              else "descending"} if named else {}
    return Interferogram(
        path=path, source_format="aria", unwrapped_phase=(-phase).astype(np.float32), transform=transform,
        wavelength_m=wavelength, reference_date=ref, secondary_date=sec, nodata_mask=~np.isfinite(phase),
        coherence=coherence, coherence_path=path if coherence is not None else None,
        amplitude=amplitude,
        connected_components=None if components is None else np.nan_to_num(components, nan=0.0).astype(np.uint16),
        metadata={k: str(v) for k, v in meta.items()}, wavelength_source=source, **labels, **geometry,
    )

