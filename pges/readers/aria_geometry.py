"""An ARIA GUNW's imaging geometry: one incidence, heading and perpendicular baseline per product, from its cubes.

A GUNW holds ``/science/grids/imagingGeometry/incidenceAngle``, ``azimuthAngle`` and ``perpendicularBaseline``, float
cubes in degrees on a coarse grid, dims ``(heightsMeta, latitudeMeta, longitudeMeta)``, those three being
1-D variables of the same group (ARIA-tools' ``product.py`` and RAiDER read the same names). One value stands for
the product, as a HyP3 parameter file's scene-centre values do: the cube's level nearest 0 m (the middle level when
``heightsMeta`` is missing), its nodes inside the product's grid (all of the level when none is), fill values and
NaN left out; the median of the incidence and of the baseline, the circular mean of the azimuth (its values may wrap
at 0/360 or -180/180).

``perpendicularBaseline`` (m) is the SECONDARY's baseline relative to the REFERENCE orbit, ISCE2's sign
(DockerizedTopsApp ``makeGeocube.py``: the secondary's position minus the reference's, signed by
``(los x baseline) . velocity``, as ISCE2's ``computeBaseline``), and ARIA's reference is the LATER date: that is
``B(earlier) - B(later)``, so sarlake's ``B(later) - B(earlier)`` is its negative (MintPy's ``prep_aria.py`` negates it
too: "date2_date1 -> date1_date2").

ARIA's ``azimuthAngle`` is the azimuth of the line of sight from the TARGET TO THE SENSOR, counter-clockwise from
EAST (MintPy's ``prep_aria.py``, which subtracts 90 for ISCE's from-north convention). sarlake's heading is the
flight azimuth clockwise from north (:func:`pges.gnss.los_unit_vector`). A right-looking radar looks to
``heading + 90`` clockwise from north, so the target-to-sensor vector points to ``heading - 90`` clockwise from
north, that is ``alpha = 90 - (heading - 90) = 180 - heading`` counter-clockwise from east::

    heading = 180 - alpha   (in [-180, 180), as HyP3 writes it: Sentinel-1 ascending ~ -12, descending ~ -168)
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasterio.transform import Affine

__all__ = ["GEOMETRY_GROUP", "gunw_geometry", "heading_from_azimuth"]

logger = logging.getLogger(__name__)

GEOMETRY_GROUP = "science/grids/imagingGeometry"


def heading_from_azimuth(alpha_deg: np.ndarray) -> float | None:
    """Platform heading (degrees clockwise from north, in [-180, 180)) of a right-looking radar from ARIA's azimuths.

    ``alpha_deg``: azimuths of the target-to-sensor line of sight, counter-clockwise from east, any wrapping;
    their circular mean is taken. None when there is no finite value or they cancel out (no mean direction).
    """
    a = np.deg2rad(np.asarray(alpha_deg, dtype=np.float64))
    a = a[np.isfinite(a)]
    if a.size == 0:
        return None
    s, c = np.sin(a).mean(), np.cos(a).mean()
    if np.hypot(s, c) < 1e-6:
        return None
    alpha = np.degrees(np.arctan2(s, c))
    return float((180.0 - alpha + 180.0) % 360.0 - 180.0)


def _real(dtype: Any) -> bool:
    """True for an integer or floating-point dtype (not text, bool or complex)."""
    return bool(np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating))


def _axis(group: Any, name: str, size: int) -> np.ndarray | None:
    """A cube's 1-D coordinate ``name`` when the group has it with ``size`` numeric values."""
    if name not in group:
        return None
    values = group[name]
    if not _real(values.dtype) or values.shape != (size,):
        return None
    if "not a netCDF variable" in str(values.attrs.get("NAME", "")):  # a bare netCDF dimension: its values are 0
        return None
    return np.asarray(values[()], dtype=np.float64)


def _level(f: Any, name: str, transform: Affine, shape: tuple[int, int], what: str) -> np.ndarray | None:
    """The finite values of cube ``name`` at the height nearest 0 m inside the product's grid; None when unusable."""
    group = f[GEOMETRY_GROUP]
    if name not in group:
        return None
    ds = group[name]
    if not _real(ds.dtype) or ds.ndim != 3:
        logger.warning("%s: %s/%s is not a 3-D cube of real numbers (%s %s); its geometry is left out", what,
                       GEOMETRY_GROUP, name, ds.dtype, ds.shape)
        return None
    cube = np.asarray(ds[()], dtype=np.float64)
    for attr in ("_FillValue", "missing_value"):
        fill = ds.attrs.get(attr)
        if fill is not None and np.asarray(fill).size == 1 and _real(np.asarray(fill).dtype):
            cube[cube == np.asarray(fill).item()] = np.nan
    heights = _axis(group, "heightsMeta", cube.shape[0])
    level = cube[int(np.argmin(np.abs(heights)))] if heights is not None else cube[cube.shape[0] // 2]
    lat = _axis(group, "latitudeMeta", cube.shape[1])
    lon = _axis(group, "longitudeMeta", cube.shape[2])
    finite = np.isfinite(level)
    if lat is not None and lon is not None:
        rows, cols = shape
        (x0, y0), (x1, y1) = transform @ (0, 0), transform @ (cols, rows)
        inside = ((np.minimum(y0, y1) <= lat) & (lat <= np.maximum(y0, y1)))[:, None] & (
            (np.minimum(x0, x1) <= lon) & (lon <= np.maximum(x0, x1)))[None, :]
        if (finite & inside).any():
            finite &= inside
    if not finite.any():
        logger.warning("%s: %s/%s holds no value (every node is fill or NaN); its geometry is left out", what,
                       GEOMETRY_GROUP, name)
        return None
    return level[finite]


def gunw_geometry(f: Any, transform: Affine, shape: tuple[int, int], *, what: str) -> dict[str, Any]:
    """``incidence_deg``, ``heading_deg``, ``perpendicular_baseline_m`` of an open GUNW, as Interferogram fields.

    Empty when the product has no imaging-geometry cubes (older or hand-made files); a cube of fill values only,
    not numeric or not 3-D, or an incidence outside (0, 90) degrees, is left out with a log line.
    """
    if GEOMETRY_GROUP not in f:
        return {}
    out: dict[str, Any] = {}
    incidence = _level(f, "incidenceAngle", transform, shape, what)
    if incidence is not None:
        value = float(np.median(incidence))
        if 0.0 < value < 90.0:
            out["incidence_deg"] = round(value, 4)
        else:
            logger.warning("%s: incidence %.4g deg is not in (0, 90); its geometry is left out", what, value)
    bperp = _level(f, "perpendicularBaseline", transform, shape, what)
    if bperp is not None:  # the secondary (earlier) relative to the reference (later): negated, as MintPy does
        out["perpendicular_baseline_m"] = round(-float(np.median(bperp)), 4)
    azimuth = _level(f, "azimuthAngle", transform, shape, what)
    heading = None if azimuth is None else heading_from_azimuth(azimuth)
    if heading is not None:
        out["heading_deg"] = round(heading, 4)
    elif azimuth is not None:
        logger.warning("%s: the azimuth angles have no mean direction; the heading is left out", what)
    return out
