"""What an external interferogram's files say of its acquisition, as the met.json properties ingest and unwrap write.

The track and pass direction (``--track``/``--orbit-state`` first, else the file's: an ARIA name, a LiCSAR frame, a
SNAP product's metadata), the incidence and heading (a HyP3 parameter file, a LiCSAR frame, SNAP's metadata), which
the time series takes for its GNSS tie and weather-model delays, the perpendicular baseline
(:mod:`pges.readers.baseline`) and the grid a product was warped from. What the file does not say is left out,
never written as 0.
"""

from __future__ import annotations

import math
from typing import Any

from pges.readers.common import Interferogram

__all__ = ["source_properties", "track_of"]


def track_of(ifg: Interferogram, track: int | None, orbit_state: str | None) -> tuple[int | None, str | None]:
    """Track and pass direction: the ones given (``--track``, ``--orbit-state``), else the file's."""
    return (track if track is not None else ifg.track), (orbit_state or ifg.orbit_state)


def source_properties(ifg: Interferogram, *, track: int | None = None,
                      orbit_state: str | None = None) -> dict[str, Any]:
    """The acquisition's properties that are known, given or read from the file.

    ``sat:relative_orbit``, ``sat:orbit_state``, ``view:incidence_angle``, ``sarlake:heading_deg``,
    ``sarlake:perpendicular_baseline_m`` and ``sarlake:source_crs``.
    """
    out: dict[str, Any] = {}
    if ifg.source_crs:  # warped onto lon/lat (HyP3's UTM): say from what
        out["sarlake:source_crs"] = ifg.source_crs
    track, orbit_state = track_of(ifg, track, orbit_state)
    if track is not None:
        out["sat:relative_orbit"] = track
    if orbit_state:
        out["sat:orbit_state"] = orbit_state
    for prop, value in (("view:incidence_angle", ifg.incidence_deg), ("sarlake:heading_deg", ifg.heading_deg)):
        if value is not None and math.isfinite(value):
            out[prop] = value
    if ifg.perpendicular_baseline_m is not None and math.isfinite(ifg.perpendicular_baseline_m):
        # B_perp(later) - B_perp(earlier), to the mm as the interferogram PGE writes it
        out["sarlake:perpendicular_baseline_m"] = round(ifg.perpendicular_baseline_m, 3)
    return out
