"""What a HyP3 product's name and parameter file say of its pair: wavelength, pass, track, geometry, baseline.

A HyP3 product carries no wavelength, but its name says Sentinel-1 (``S1AA_20161223T070700_...``, the two
satellites then the two acquisition times: ASF's HyP3 naming convention): C band, 5.405 GHz
(:func:`hyp3_wavelength`, used when no tag gives one).

A HyP3 INSAR_GAMMA product ``<base>_unw_phase.tif`` has ``<base>.txt`` beside it, ``Key: value`` lines
(hyp3-gamma's ``ParameterFile``): ``Reference Pass Direction: ASCENDING``, ``Reference Granule`` and
``Reference Orbit Number`` (the track: :func:`relative_orbit`), ``Heading: -15.39`` (degrees clockwise
from north, ROI_PAC's convention), ``Baseline: 24.1`` (m, the secondary's perpendicular baseline relative to the
reference, made ``B(later) - B(earlier)`` by the two granules' dates), and the geometry at the scene centre:
``Slant range center`` (m), ``Spacecraft height`` (m above the Earth radius at nadir) and ``Earth radius at nadir``
(m). The incidence at the centre follows from those three on a sphere (law of cosines, as MintPy's
``utils.incidence_angle`` computes it from ``STARTING_RANGE``, ``HEIGHT`` and ``EARTH_RADIUS``)::

    cos(look) = (R^2 + (Re + H)^2 - Re^2) / (2 R (Re + H)),   sin(incidence) = (Re + H) / Re * sin(look)
"""

from __future__ import annotations

import logging
import math
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pges.readers.baseline import baseline_number, later_minus_earlier
from pges.readers.wavelength import SENTINEL1_WAVELENGTH_M

__all__ = ["HYP3_SUFFIXES", "hyp3_geometry", "hyp3_wavelength", "incidence_deg", "relative_orbit"]

logger = logging.getLogger(__name__)

#: the rasters of a HyP3 product, after ``<base>``
HYP3_SUFFIXES = ("_unw_phase", "_wrapped_phase", "_corr", "_los_disp", "_vert_disp", "_amp", "_dem", "_lv_theta",
                 "_lv_phi", "_water_mask", "_inc_map", "_inc_map_ell")
_LINE = re.compile(r"^\s*([^:]+?)\s*:\s*(.*?)\s*$")
#: the acquisition date in a granule's name: S1A_IW_SLC__1SDV_20161223T070700_..., S1_213524_IW1_20170411T133605_VV_...
_GRANULE_DAY = re.compile(r"(?<!\d)(\d{8})T\d{6}")
#: HyP3's product names: Sentinel-1 (S1) and its two satellites (A, B, C or D), then the two acquisition times
_HYP3_NAME = re.compile(r"^S1[A-D]{2}_\d{8}T\d{6}_\d{8}T\d{6}_")


#: the absolute orbit of each Sentinel-1 satellite that starts its 175-orbit repeat cycle on relative orbit 1
#: (ESA's relation; A and B checked against 508 ASF search records in tests/data/sar_metadata; C and D as MintPy's
#: ``mintpy.geometry.orbit.get_relative_orbit_number`` (2025) and the S1 burst tools after it give them)
_FIRST_ORBIT = {"A": 73, "B": 27, "C": 172, "D": 42}
#: Sentinel-1C was manoeuvred from 9 to 23 June 2026 to give a 6-day revisit with Sentinel-1D (Copernicus Data
#: Space news, 2026-05-28, "Sentinel-1 orbital reconfiguration dates"): its orbit numbering against the tracks
#: changed then, and the sources disagree on the new offset, so a later S1C acquisition gets no track from it
_S1C_MOVED = date(2026, 6, 9)


def relative_orbit(satellite: str, absolute_orbit: int, day: date | None = None) -> int | None:
    """Sentinel-1 relative orbit (track, 1-175) of an absolute orbit of satellite ``A``-``D``; None otherwise.

    Sentinel-1C's needs the acquisition's ``day``: before its orbit change of June 2026 only (None after it, or
    without a day).
    """
    first = _FIRST_ORBIT.get(satellite.upper())
    if satellite.upper() == "C" and (day is None or day >= _S1C_MOVED):
        return None
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
    """``orbit_state``, ``track``, ``heading_deg``, ``incidence_deg``, ``perpendicular_baseline_m``: its .txt's.

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
    day = _granule_day(granule)
    track = relative_orbit(granule[2:3], int(orbit), day) if granule.startswith("S1") and orbit.isdigit() else None
    if track is not None:
        out["track"] = track
    elif granule.startswith("S1C") and orbit.isdigit():
        logger.warning("%s: Sentinel-1C's track is not known from its orbit number after its orbit change of June "
                       "2026 (%s); give --track", found.name, granule)
    try:
        if "Heading" in pairs:
            out["heading_deg"] = float(pairs["Heading"])
        if {"Slant range center", "Spacecraft height", "Earth radius at nadir"} <= pairs.keys():
            out["incidence_deg"] = round(incidence_deg(float(pairs["Slant range center"]),
                                                       float(pairs["Spacecraft height"]),
                                                       float(pairs["Earth radius at nadir"])), 4)
    except ValueError as exc:
        logger.warning("%s: %s; its geometry is left out", found.name, exc)
    bperp = _baseline(pairs, found.name)
    if bperp is not None:
        out["perpendicular_baseline_m"] = bperp
    return out


def _granule_day(granule: str) -> date | None:
    """The start day of a Sentinel-1 granule name (``S1C_IW_SLC__1SDV_20250401T...``), or None."""
    m = _GRANULE_DAY.search(granule)
    try:
        return datetime.strptime(m.group(1), "%Y%m%d").date() if m else None
    except ValueError:
        return None


def _baseline(pairs: dict[str, str], what: str) -> float | None:
    """``Baseline`` (m, the secondary's relative to the reference) as ``B(later) - B(earlier)``; None if unsaid.

    hyp3-gamma writes GAMMA's ``base_init <reference> <secondary>`` perpendicular component, hyp3-isce2 topsApp's
    ``Bperp`` of the secondary relative to the reference (``packaging.get_baseline_perp``). The two dates are those in
    the ``Reference Granule`` and ``Secondary Granule`` names; without both, which way round it is is unknown: None.
    """
    if "Baseline" not in pairs:
        return None
    reference, secondary = (_granule_day(pairs.get(f"{role} Granule", "")) for role in ("Reference", "Secondary"))
    if reference is None or secondary is None:
        logger.warning("%s: no date in its Reference/Secondary Granule; the perpendicular baseline is left out", what)
        return None
    value = baseline_number(pairs["Baseline"], what=what, key="Baseline")
    if value is None:
        return None
    return later_minus_earlier(value, reference, secondary)


def hyp3_wavelength(name: str) -> tuple[float, str] | None:
    """Sentinel-1's wavelength for a HyP3 product's file name (``S1AB_...``), or None for any other name."""
    if _HYP3_NAME.match(name) is None:
        return None
    return SENTINEL1_WAVELENGTH_M, "HyP3 file name (Sentinel-1)"
