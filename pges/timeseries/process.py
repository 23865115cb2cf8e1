"""The science of the ``timeseries`` PGE, arrays in and out (no file I/O).

Order: select the network -> mask by coherence -> weather-model correction -> provisional inversion
(stability, deforming mask) -> stratified correction -> reference point (from the provisional stability,
i.e. before the stratified fit) -> closure -> SBAS inversion ->
temporal coherence and interferogram count -> velocity, NaN where the network is disconnected or the
temporal coherence is below the threshold -> GNSS tie and residuals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from pges.errors import InputValidationError
from pges.gnss import GNSSTimeSeries, los_unit_vector
from pges.timeseries.closure import ClosureResult, closure_check
from pges.timeseries.config import TimeseriesParameters
from pges.timeseries.gnss_tie import GnssTie, tie_to_gnss
from pges.timeseries.quality import ifg_count, mm_to_rad, temporal_coherence
from pges.timeseries.reference import (
    ReferenceChoice,
    Stability,
    choose_reference,
    deforming_mask,
    provisional_stability,
)
from pges.timeseries.sbas import SBASResult, invert_sbas, pair_indices, velocity
from pges.timeseries.stack import IfgStack, mask_by_coherence, select_network
from pges.timeseries.troposphere import ZenithDelay, stratified_correction, weather_model_correction

__all__ = ["Inputs", "TimeseriesResult", "grid_lonlat", "process", "to_los_mm"]

logger = logging.getLogger(__name__)


@dataclass
class Inputs:
    """What ``process`` needs besides the stack and the parameters (read by the PGE, or made by a test)."""

    height_m: np.ndarray | None = None  # (rows, cols) DEM on the stack grid
    delays: list[ZenithDelay] = field(default_factory=list)
    deformation_mask: np.ndarray | None = None  # (rows, cols) bool, given by the user
    gnss: list[GNSSTimeSeries] = field(default_factory=list)


@dataclass
class TimeseriesResult:
    """Everything the science computed (arrays in memory), before it is written."""

    stack: IfgStack
    dates: list[date]
    pairs: list[tuple[int, int]]
    reference_rc: tuple[int, int]
    sbas: SBASResult
    closure: ClosureResult
    velocity_mm_yr: np.ndarray
    velocity_sigma_mm_yr: np.ndarray
    reference: ReferenceChoice | None = None
    temporal_coherence: np.ndarray | None = None
    ifg_count: np.ndarray | None = None
    deforming: np.ndarray | None = None
    corrections: list[dict[str, Any]] = field(default_factory=list)
    gnss: list[dict[str, Any]] = field(default_factory=list)
    gnss_tie: GnssTie | None = None
    masked: dict[str, int] = field(default_factory=dict)


def to_los_mm(phase: np.ndarray, wavelength_m: float) -> np.ndarray:
    """Phase (rad, + = range increase) -> LOS mm, + toward the satellite."""
    return -np.asarray(phase, dtype=np.float64) * wavelength_m / (4 * np.pi) * 1000.0


def grid_lonlat(stack: IfgStack) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of every pixel centre of the stack's grid."""
    rows, cols = stack.phase.shape[1:]
    cc, rr = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
    lon, lat = stack.transform @ (cc, rr)
    return np.asarray(lon), np.asarray(lat)


def incidence_of(stack: IfgStack, p: TimeseriesParameters, what: str) -> float:
    inc = p.incidence_deg if p.incidence_deg is not None else stack.incidence_deg
    if inc is None:
        raise InputValidationError(
            f"{what} needs the incidence angle: the products' met.json has none (view:incidence_angle); "
            "pass --incidence (parameters.incidence_deg)"
        )
    return float(inc)


def _reference(
    los: np.ndarray, stack: IfgStack, p: TimeseriesParameters, stab: Stability, deforming: np.ndarray,
    gnss: list[GNSSTimeSeries],
) -> ReferenceChoice:
    rows, cols = los.shape[1:]
    ref = p.reference
    if ref.auto:
        return choose_reference(stab, stack.coherence, deforming, radius_px=ref.radius_px,
                                min_coherence=ref.min_coherence, min_temporal_coherence=ref.min_temporal_coherence)
    if ref.gnss_station is not None:
        match = [g for g in gnss if g.station.upper() == ref.gnss_station.upper()]
        if not match:
            raise InputValidationError(
                f"station {ref.gnss_station!r} is in none of the GNSS series given "
                f"({', '.join(g.station for g in gnss) or 'none given'})", parameter="reference.gnss_station"
            )
        lon, lat, method, given = match[0].lon, match[0].lat, f"gnss:{match[0].station}", "reference.gnss_station"
    else:
        lon, lat, method, given = float(ref.lon), float(ref.lat), "lat/lon", "reference"  # type: ignore[arg-type]
    colf, rowf = ~stack.transform @ (lon, lat)
    r, c = int(np.floor(rowf)), int(np.floor(colf))
    if not (0 <= r < rows and 0 <= c < cols):
        raise InputValidationError(f"reference point {lat}, {lon} ({method}) is outside the interferogram grid",
                                   parameter=given)
    choice = ReferenceChoice(r, c, method)
    if deforming[r, c]:
        choice.warnings.append("the given reference point lies in an area the provisional inversion flags as deforming")
        logger.warning("reference point %s, %s: %s", lat, lon, choice.warnings[-1])
    return choice


def _apply_reference(los: np.ndarray, rc: tuple[int, int], radius: int) -> np.ndarray:
    n = los.shape[0]
    r, c = rc
    win = los[:, max(r - radius, 0) : r + radius + 1, max(c - radius, 0) : c + radius + 1].reshape(n, -1)
    ok = np.isfinite(win).any(axis=1)
    if not ok.all():
        raise InputValidationError(
            f"reference pixel row {r} col {c} has no valid value in {int((~ok).sum())} interferogram(s); choose another"
        )
    return los - np.nanmean(win, axis=1)[:, None, None]


def process(stack: IfgStack, p: TimeseriesParameters, inputs: Inputs | None = None) -> TimeseriesResult:
    """Run the whole time-series science on a loaded stack (see the module docstring for the order)."""
    inputs = inputs or Inputs()
    stack = select_network(stack, p.network)
    phase = mask_by_coherence(stack, p.min_coherence)
    dates = stack.dates
    pairs = pair_indices(stack.pairs, dates)
    corrections: list[dict[str, Any]] = []
    if inputs.delays:
        lon, lat = grid_lonlat(stack)
        phase, rep = weather_model_correction(
            phase, pairs, dates, inputs.delays, lon, lat, wavelength_m=stack.wavelength_m,
            incidence_deg=incidence_of(stack, p, "the weather-model correction"), height=inputs.height_m,
        )
        corrections.append({"name": rep.name, **rep.info, "per_ifg": rep.per_ifg})
    stab = provisional_stability(to_los_mm(phase, stack.wavelength_m), pairs, dates, stack.wavelength_m)
    deforming = deforming_mask(stab.velocity_mm_yr)
    if inputs.deformation_mask is not None:
        deforming = deforming | inputs.deformation_mask
    if p.troposphere.stratified:
        if inputs.height_m is None:
            raise InputValidationError("the stratified correction needs a DEM: set troposphere.dem (--dem)")
        phase, rep = stratified_correction(phase, inputs.height_m, deforming)
        corrections.append({"name": rep.name, **rep.info, "per_ifg": rep.per_ifg})
        # the reference is still chosen from the stability before this fit: deformation that correlates with
        # height can leak into k and make a moving slope look stable (seen on the simulated Vesuvius stack)
    choice = _reference(to_los_mm(phase, stack.wavelength_m), stack, p, stab, deforming, inputs.gnss)
    los = _apply_reference(to_los_mm(phase, stack.wavelength_m), (choice.row, choice.col), p.reference.radius_px)
    clos = closure_check(mm_to_rad(los, stack.wavelength_m), pairs)
    sb = invert_sbas(los, pairs, dates, max_memory_mb=p.max_memory_mb)
    tcoh = temporal_coherence(mm_to_rad(sb.residual, stack.wavelength_m))
    count = ifg_count(los)
    ts = sb.timeseries
    tie = None
    if inputs.gnss:
        los_vec = los_unit_vector(incidence_of(stack, p, "GNSS"), heading_of(stack, p))
        ts, tie = tie_to_gnss(ts, dates, stack.transform, (choice.row, choice.col), inputs.gnss, los_vec,
                              reference_station=p.reference.gnss_station, reference_to_gnss=p.reference_to_gnss)
        sb.timeseries = ts.astype(np.float64)
    v, s = velocity(sb.timeseries, dates, sb.component)
    disconnected = ~sb.connected & np.isfinite(v)
    incoherent = sb.connected & ~(tcoh >= p.min_temporal_coherence)
    bad = ~sb.connected | ~(tcoh >= p.min_temporal_coherence)
    v = np.where(bad, np.nan, v)
    s = np.where(bad, np.nan, s)
    if len(sb.network_components) > 1:
        logger.warning(
            "network is disconnected: %d components %s; no velocity there",
            len(sb.network_components),
            [[dates[i].isoformat() for i in c] for c in sb.network_components],
        )
    res = TimeseriesResult(stack, dates, pairs, (choice.row, choice.col), sb, clos, v.astype(np.float32),
                           s.astype(np.float32), reference=choice, temporal_coherence=tcoh, ifg_count=count,
                           deforming=deforming, corrections=corrections, gnss_tie=tie)
    res.masked = {"disconnected": int(disconnected.sum()), "low_temporal_coherence": int(incoherent.sum())}
    return res


def heading_of(stack: IfgStack, p: TimeseriesParameters) -> float:
    h = p.heading_deg if p.heading_deg is not None else stack.heading_deg
    if h is None:
        raise InputValidationError(
            "GNSS needs the platform heading: the products' met.json has none (sarlake:heading_deg); "
            "pass --heading (parameters.heading_deg)"
        )
    return float(h)
