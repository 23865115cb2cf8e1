"""What a HyP3 product's name and parameter file say of its pair: wavelength, pass, track, heading, incidence.

A HyP3 product carries no wavelength, but its name says Sentinel-1 (``S1AA_20161223T070700_...``, the two
satellites then the two acquisition times: ASF's HyP3 naming convention): C band, 5.405 GHz
(:func:`hyp3_wavelength`, used when no tag gives one).

A HyP3 INSAR_GAMMA product ``<base>_unw_phase.tif`` has ``<base>.txt`` beside it, ``Key: value`` lines
(hyp3-gamma's ``ParameterFile``): ``Reference Pass Direction: ASCENDING``, ``Reference Granule`` and
``Reference Orbit Number`` (the track: :func:`relative_orbit`), ``Heading: -15.39`` (degrees clockwise
from north, ROI_PAC's convention), and the geometry at the scene centre:
``Slant range center`` (m), ``Spacecraft height`` (m above the Earth radius at nadir) and ``Earth radius at nadir``
(m). The incidence at the centre follows from those three on a sphere (law of cosines, as MintPy's
``utils.incidence_angle`` computes it from ``STARTING_RANGE``, ``HEIGHT`` and ``EARTH_RADIUS``)::

    cos(look) = (R^2 + (Re + H)^2 - Re^2) / (2 R (Re + H)),   sin(incidence) = (Re + H) / Re * sin(look)
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import Any

from pges.readers.wavelength import SENTINEL1_WAVELENGTH_M

__all__ = ["HYP3_SUFFIXES", "hyp3_geometry", "hyp3_wavelength", "incidence_deg", "relative_orbit"]

logger = logging.getLogger(__name__)

#: the rasters of a HyP3 product, after ``<base>``
HYP3_SUFFIXES = ("_unw_phase", "_wrapped_phase", "_corr", "_los_disp", "_vert_disp", "_amp", "_dem", "_lv_theta",
                 "_lv_phi", "_water_mask", "_inc_map", "_inc_map_ell")
_LINE = re.compile(r"^\s*([^:]+?)\s*:\s*(.*?)\s*$")
#: HyP3's product names: Sentinel-1 (S1) and its two satellites (A, B, C or D), then the two acquisition times
_HYP3_NAME = re.compile(r"^S1[A-D]{2}_\d{8}T\d{6}_\d{8}T\d{6}_")


#: the absolute orbit of each Sentinel-1 satellite that starts its 175-orbit repeat cycle on relative orbit 1
#: (ESA's relation; checked against 508 ASF search records in tests/data/sar_metadata)
_FIRST_ORBIT = {"A": 73, "B": 27}


def relative_orbit(satellite: str, absolute_orbit: int) -> int | None:
    """Sentinel-1 relative orbit (track, 1-175) of an absolute orbit of satellite ``A`` or ``B``; None otherwise."""
    first = _FIRST_ORBIT.get(satellite.upper())
    return None if first is None else (absolute_orbit - first) % 175 + 1


def incidence_deg(slant_range_m: float, height_m: float, earth_radius_m: float) -> float:
    """Incidence angle (degrees) at ``slant_range_m`` from a spacecraft ``height_m`` above a sphere."""
    orbit = earth_radius_m + height_m
    look = math.acos((slant_range_m ** 2 + orbit ** 2 - earth_radius_m ** 2) / (2 * slant_range_m * orbit))
    return math.degrees(math.asin(orbit / earth_radius_m * math.sin(look)))


def _parameter_file(path: Path) -> Path | None:
    stem = path.name.split(".")[0]
    for suffix in HYP3_SUFFIXES:
        if stem.endswith(suffix):
            found = path.with_name(stem[: -len(suffix)] + ".txt")
            return found if found.is_file() else None
    return None


def hyp3_geometry(path: Path) -> dict[str, Any]:
    """``orbit_state``, ``track``, ``heading_deg`` and ``incidence_deg`` from a HyP3 raster's parameter file.

    :class:`pges.readers.common.Interferogram` fields; empty when there is no parameter file beside it. A value
    that is not a number is left out, with a log line.
    """
    found = _parameter_file(Path(path))
    if found is None:
        return {}
    pairs: dict[str, str] = {}
    for line in found.read_text(errors="replace").splitlines():
        m = _LINE.match(line)
        if m:
            pairs[m.group(1)] = m.group(2)
    out: dict[str, Any] = {}
    direction = pairs.get("Reference Pass Direction", "").strip().lower()
    if direction in ("ascending", "descending"):
        out["orbit_state"] = direction
    granule = pairs.get("Reference Granule", "").strip()  # S1A_IW_SLC__1SDV_...: the reference satellite
    orbit = pairs.get("Reference Orbit Number", "").strip()
    track = relative_orbit(granule[2:3], int(orbit)) if granule.startswith("S1") and orbit.isdigit() else None
    if track is not None:
        out["track"] = track
    try:
        if "Heading" in pairs:
            out["heading_deg"] = float(pairs["Heading"])
        if {"Slant range center", "Spacecraft height", "Earth radius at nadir"} <= pairs.keys():
            out["incidence_deg"] = round(incidence_deg(float(pairs["Slant range center"]),
                                                       float(pairs["Spacecraft height"]),
                                                       float(pairs["Earth radius at nadir"])), 4)
    except ValueError as exc:
        logger.warning("%s: %s; its geometry is left out", found.name, exc)
    return out


def hyp3_wavelength(name: str) -> tuple[float, str] | None:
    """Sentinel-1's wavelength for a HyP3 product's file name (``S1AB_...``), or None for any other name."""
    if _HYP3_NAME.match(name) is None:
        return None
    return SENTINEL1_WAVELENGTH_M, "HyP3 file name (Sentinel-1)"
