"""InSAR + GNSS: tie the time series to GNSS and check it against NISAR's transient requirement.

**Tie.** GNSS east/north/up series are projected on the LOS (:func:`pges.gnss.project_enu_to_los`) and
sampled at the InSAR dates (linear interpolation between daily epochs, none further than
``max_gap_days`` away), relative to the first InSAR date. With a GNSS reference station the InSAR series,
zero at the reference pixel, gets that station's LOS motion added at every pixel; with several stations
(``reference_to_gnss``) the per-date median of InSAR minus GNSS over the stations is removed. Either way
the time series moves from "relative to a pixel" to "in the GNSS frame".

**Requirement.** NISAR's solid-earth L2 requirement for transient deformation: 12-day displacement with
an accuracy of ``3 (1 + sqrt(L))`` mm over length scales ``0.1 km < L < 50 km``. Following the validation
method of the NISAR Solid Earth ATBD / cal-val notebooks (approach 1: InSAR vs GNSS), for each pair of
stations and each interval between consecutive dates the double difference
``dd = (dInSAR_a - dInSAR_b) - (dGNSS_a - dGNSS_b)`` is compared with ``3 (1 + sqrt(L_ab))``; the
requirement is met when at least 68.3 % of the pairs pass. Per station the same test is made against
the reference point (``L`` = distance from it), which gives the table and the figure.

References:
    NISAR Science Team (2020), NASA-ISRO SAR (NISAR) Mission Science Users' Handbook, section on the
    solid-earth requirements (secular, coseismic, transient: ``3(1 + L^0.5)`` mm for 0.1-50 km).
    NISAR Solid Earth ATBD / calval-NISAR notebooks (Transient requirement validation, approach 1).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.transform import Affine

from pges.gnss import GNSSTimeSeries, project_enu_to_los

__all__ = [
    "REQUIREMENT_RANGE_KM",
    "GnssTie",
    "distance_km",
    "gnss_at_dates",
    "nisar_transient_mm",
    "plot_requirement",
    "tie_to_gnss",
    "write_residual_table",
]

logger = logging.getLogger(__name__)

REQUIREMENT_RANGE_KM = (0.1, 50.0)
PASS_SHARE = 0.683


def nisar_transient_mm(length_km: np.ndarray | float) -> np.ndarray:
    """NISAR transient requirement ``3 (1 + sqrt(L))`` mm at length scale ``L`` km."""
    return 3.0 * (1.0 + np.sqrt(np.asarray(length_km, dtype=np.float64)))


def distance_km(lat1: float, lon1: float, lat2: np.ndarray | float, lon2: np.ndarray | float) -> np.ndarray:
    """Great-circle distance (km, spherical Earth R = 6371 km)."""
    p1, p2 = np.deg2rad(lat1), np.deg2rad(np.asarray(lat2))
    dl = np.deg2rad(np.asarray(lon2) - lon1)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def gnss_at_dates(g: GNSSTimeSeries, dates: Sequence[date], los: np.ndarray, max_gap_days: int = 3) -> np.ndarray:
    """LOS displacement (mm, + toward the satellite) of a station at each date, relative to ``dates[0]``.

    NaN at dates with no GNSS epoch within ``max_gap_days``; all NaN when the first date has none.
    """
    d_los = project_enu_to_los(g.east, g.north, g.up, los) * 1000.0
    days = g.dates.astype("datetime64[D]").astype(np.int64)
    want = np.array([np.datetime64(d, "D").astype(np.int64) for d in dates])
    vals = np.interp(want, days, d_los, left=np.nan, right=np.nan)
    idx = np.clip(np.searchsorted(days, want), 1, max(days.size - 1, 1))
    gap = np.minimum(np.abs(days[idx] - want), np.abs(days[idx - 1] - want))
    vals = np.where(gap <= max_gap_days, vals, np.nan)
    return vals - vals[0]


@dataclass
class GnssTie:
    """Stations on the grid, their LOS series at the InSAR dates, the tie applied and the residuals."""

    stations: list[dict[str, Any]] = field(default_factory=list)  # one row per station (the table)
    offset_mm: np.ndarray | None = None  # (n_dates,) what was added to every pixel
    method: str = "none"
    pairs: list[dict[str, Any]] = field(default_factory=list)  # station-pair double differences
    summary: dict[str, Any] = field(default_factory=dict)


def _increments(x: np.ndarray) -> np.ndarray:
    return np.diff(x)


def tie_to_gnss(
    ts_mm: np.ndarray,
    dates: Sequence[date],
    transform: Affine,
    reference_rc: tuple[int, int],
    series: Sequence[GNSSTimeSeries],
    los: np.ndarray,
    *,
    reference_station: str | None = None,
    reference_to_gnss: bool = False,
) -> tuple[np.ndarray, GnssTie]:
    """Tie ``ts_mm`` (n_dates, rows, cols; zero at the reference) to GNSS and compute the residuals.

    Returns:
        The tied time series (a copy; unchanged when no tie was asked) and the :class:`GnssTie`.
    """
    n, rows, cols = ts_mm.shape
    ref_lon, ref_lat = transform @ (reference_rc[1] + 0.5, reference_rc[0] + 0.5)
    on_grid = []
    for g in series:
        colf, rowf = ~transform @ (g.lon, g.lat)
        r, c = int(np.floor(rowf)), int(np.floor(colf))
        if 0 <= r < rows and 0 <= c < cols:
            on_grid.append((g, r, c, gnss_at_dates(g, dates, los)))
    tie = GnssTie()
    out = np.array(ts_mm, dtype=np.float64, copy=True)
    if reference_station is not None:
        match = [x for x in on_grid if x[0].station.upper() == reference_station.upper()]
        if not match:
            from pges.errors import InputValidationError

            raise InputValidationError(
                f"GNSS reference station {reference_station!r} is not among the stations on the grid "
                f"({', '.join(x[0].station for x in on_grid) or 'none'}); check reference.gnss_station and gnss_files"
            )
        tie.offset_mm = -np.nan_to_num(match[0][3])  # ts - offset: add the station's motion everywhere
        tie.method = f"station {match[0][0].station}"
    elif reference_to_gnss and on_grid:
        diffs = np.array([out[:, r, c] - gl for _, r, c, gl in on_grid])
        tie.offset_mm = np.nan_to_num(np.nanmedian(diffs, axis=0))
        tie.method = f"median of {len(on_grid)} stations"
    if tie.offset_mm is not None:
        out = out - tie.offset_mm[:, None, None]
    resid = {}
    for g, r, c, gl in on_grid:
        ins = out[:, r, c]
        res = ins - gl
        L = float(distance_km(ref_lat, ref_lon, g.lat, g.lon))
        inc = _increments(res)
        ok = np.isfinite(inc)
        req = float(nisar_transient_mm(L))
        in_range = REQUIREMENT_RANGE_KM[0] < L < REQUIREMENT_RANGE_KM[1]
        row: dict[str, Any] = {
            "station": g.station, "lat": round(g.lat, 6), "lon": round(g.lon, 6), "row": r, "col": c,
            "distance_to_reference_km": round(L, 3), "n_dates": int(np.isfinite(res).sum()),
            "residual_rms_mm": round(float(np.sqrt(np.nanmean(res**2))), 3) if np.isfinite(res).any() else None,
            "increment_rms_mm": round(float(np.sqrt(np.mean(inc[ok] ** 2))), 3) if ok.any() else None,
            "requirement_mm": round(req, 3),
            "pass_share": round(float(np.mean(np.abs(inc[ok]) <= req)), 3) if ok.any() else None,
            "in_requirement_range": in_range,
        }
        row["meets_requirement"] = bool(in_range and row["pass_share"] is not None and row["pass_share"] >= PASS_SHARE)
        tie.stations.append(row)
        resid[g.station] = (g, res)
    names = list(resid)
    dd_all = []
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            ga, ra = resid[names[a]]
            gb, rb = resid[names[b]]
            L = float(distance_km(ga.lat, ga.lon, gb.lat, gb.lon))
            dd = _increments(ra) - _increments(rb)
            dd = dd[np.isfinite(dd)]
            tie.pairs.append({"a": names[a], "b": names[b], "distance_km": round(L, 3),
                              "dd_mm": [round(float(x), 3) for x in dd]})
            if REQUIREMENT_RANGE_KM[0] < L < REQUIREMENT_RANGE_KM[1]:
                dd_all += [abs(float(x)) <= float(nisar_transient_mm(L)) for x in dd]
    tie.summary = {
        "method": tie.method,
        "stations_on_grid": len(on_grid),
        "station_pairs": len(tie.pairs),
        "pair_intervals_in_range": len(dd_all),
        "pair_pass_share": round(float(np.mean(dd_all)), 3) if dd_all else None,
        "requirement": "3(1+sqrt(L)) mm, 0.1 < L < 50 km, >= 68.3% of station-pair intervals",
        "requirement_met": bool(dd_all) and float(np.mean(dd_all)) >= PASS_SHARE,
    }
    return out.astype(np.float32), tie


def write_residual_table(path: Path, tie: GnssTie) -> Path:
    """CSV of the per-station rows (one line per station)."""
    cols = ["station", "lat", "lon", "row", "col", "distance_to_reference_km", "n_dates", "residual_rms_mm",
            "increment_rms_mm", "requirement_mm", "pass_share", "in_requirement_range", "meets_requirement"]
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for row in tie.stations:
            w.writerow(row)
    return path


def plot_requirement(path: Path, tie: GnssTie, title: str) -> Path:
    """PNG: |InSAR - GNSS| interval residuals against distance, with the 3(1+sqrt(L)) mm curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    L = np.geomspace(*REQUIREMENT_RANGE_KM, 100)
    ax.plot(L, nisar_transient_mm(L), "k-", label="NISAR transient 3(1+sqrt(L)) mm")
    for p in tie.pairs:
        if p["dd_mm"]:
            ax.plot([max(p["distance_km"], 0.1)] * len(p["dd_mm"]), np.abs(p["dd_mm"]), ".", color="0.6", ms=3)
    for s in tie.stations:
        ax.plot(max(s["distance_to_reference_km"], 0.1), s["increment_rms_mm"] or np.nan, "s", ms=7)
        ax.annotate(s["station"], (max(s["distance_to_reference_km"], 0.1), s["increment_rms_mm"] or 0),
                    xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(*REQUIREMENT_RANGE_KM)
    ax.set_xlabel("distance L, km (pairs: between stations; squares: station to reference, RMS)")
    ax.set_ylabel("|InSAR - GNSS| per interval, mm")
    share = tie.summary.get("pair_pass_share")
    ax.set_title(f"{title}\npair pass share {share if share is not None else 'n/a'} (needs >= 0.683)", fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
