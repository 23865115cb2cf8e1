"""A simulated interferogram stack with its truth, for time-series accuracy tests and reports.

The simulate PGE's scene model (:func:`pges.simulate.pge._Frame`, :func:`pges.simulate.scene.simulate_date`)
makes one SLC per date; each date is linked to its next ``neighbours`` dates, the interferogram
``slc_later * conj(slc_earlier)`` is multilooked ``looks x looks`` and its coherence estimated over a
``2 looks`` square window. Unwrapping is by oracle: the wrapped noisy phase plus the integer cycles of
the truth, so decorrelation noise stays and unwrapping errors are left out (the time series, not the
unwrapper, is what such a stack measures). The grid uses heading 0 (rows along north), so after the
multilook it is a north-up lon/lat grid with an affine transform, like a geocoded product.

Truth: the LOS deformation rate (first to last date, + toward the satellite, mm/yr), the troposphere of
each date mapped to the zenith (m), the DEM heights.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from rasterio.transform import Affine, from_origin
from scipy.ndimage import uniform_filter

from pges.simulate.config import SimulateParameters

__all__ = ["SimulatedStack", "simulate_stack"]


@dataclass
class SimulatedStack:
    """Multilooked interferograms on a north-up lon/lat grid, and the truth behind them."""

    phase: np.ndarray  # (n_ifg, rows, cols) unwrapped, rad, + = range increase, later minus earlier
    coherence: np.ndarray  # (n_ifg, rows, cols) 0..1
    pairs: list[tuple[date, date]]
    dates: list[date]
    transform: Affine
    wavelength_m: float
    incidence_deg: float
    heading_deg: float
    velocity_true_mm_yr: np.ndarray  # (rows, cols) LOS
    height_m: np.ndarray  # (rows, cols)
    zenith_troposphere_m: list[np.ndarray]  # per date, (rows, cols)


def _multilook(a: np.ndarray, looks: int) -> np.ndarray:
    r, c = (a.shape[0] // looks) * looks, (a.shape[1] // looks) * looks
    return a[:r, :c].reshape(r // looks, looks, c // looks, looks).mean(axis=(1, 3))[::-1]  # north up


def simulate_stack(
    params: dict[str, Any], start: datetime, n_dates: int, step_days: int, neighbours: int = 3, looks: int = 2
) -> SimulatedStack:
    """Simulate ``n_dates`` acquisitions ``step_days`` apart and form the small-baseline stack.

    Args:
        params: :class:`SimulateParameters` fields (``heading_deg`` is forced to 0, ``acquisitions`` filled).
        start: first acquisition time (UTC).
        n_dates: number of dates.
        step_days: days between dates.
        neighbours: each date is paired with this many following dates.
        looks: multilook factor in both directions.
    """
    from pges.simulate.pge import _Frame
    from pges.simulate.scene import simulate_date

    days = [start + timedelta(days=step_days * k) for k in range(n_dates)]
    p = SimulateParameters.model_validate(
        {**params, "heading_deg": 0.0, "acquisitions": [{"id": "x", "start_time": days[0].isoformat()}]}
    )
    frame = _Frame(p)
    scenes = [simulate_date(p, frame.scene, d) for d in days]
    lon, lat = _multilook(frame.lon, looks), _multilook(frame.lat, looks)
    dx, dy = float(np.mean(np.diff(lon, axis=1))), float(np.mean(-np.diff(lat, axis=0)))
    transform = from_origin(float(lon[0, 0]) - dx / 2, float(lat[0, 0]) + dy / 2, dx, dy)
    cos_inc = np.cos(np.deg2rad(frame.grid.incidence()))[None, :]
    pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(i + neighbours + 1, n_dates))]
    phase, coh = [], []
    for i, j in pairs:
        s1, s2 = scenes[i].slc.astype(np.complex128), scenes[j].slc.astype(np.complex128)
        ifg = s2 * np.conj(s1)
        wrapped = np.angle(_multilook(ifg.real, looks) + 1j * _multilook(ifg.imag, looks))
        truth = _multilook(scenes[j].phase_rad.astype(np.float64) - scenes[i].phase_rad, looks)
        phase.append(wrapped + 2 * np.pi * np.round((truth - wrapped) / (2 * np.pi)))  # oracle unwrapping
        w = 2 * looks
        num = np.abs(uniform_filter(ifg.real, w) + 1j * uniform_filter(ifg.imag, w))
        den = np.sqrt(uniform_filter(np.abs(s1) ** 2, w) * uniform_filter(np.abs(s2) ** 2, w))
        coh.append(_multilook(num / den, looks))
    dates = [d.date() for d in days]
    t_years = (dates[-1] - dates[0]).days / 365.25
    return SimulatedStack(
        phase=np.stack(phase).astype(np.float32),
        coherence=np.clip(np.stack(coh), 0, 1).astype(np.float32),
        pairs=[(dates[i], dates[j]) for i, j in pairs],
        dates=dates,
        transform=transform,
        wavelength_m=p.wavelength,
        incidence_deg=p.incidence_deg,
        heading_deg=0.0,
        velocity_true_mm_yr=_multilook(scenes[-1].deformation_los_mm - scenes[0].deformation_los_mm, looks) / t_years,
        height_m=_multilook(frame.dem, looks),
        zenith_troposphere_m=[_multilook(s.atmosphere_los_mm * cos_inc, looks) / 1000.0 for s in scenes],
    )


def write_weather_model_grids(
    sim: SimulatedStack, out_dir: Any, *, block: int = 4, noise_m: float = 0.002, hydrostatic_m: float = 2.3,
    seed: int = 42,
) -> list[Any]:
    """Write a GACOS-style zenith-delay GeoTIFF (``YYYYMMDD.ztd.tif``, metres) per date of ``sim``.

    A weather model sees the troposphere coarsely and imperfectly: the truth zenith delay is block-averaged
    ``block x block`` pixels, given independent Gaussian noise of ``noise_m`` and a constant hydrostatic
    delay (which cancels in an interferogram).
    """
    from pathlib import Path

    import rasterio

    out = Path(out_dir)
    rng = np.random.default_rng(seed)
    files = []
    tr = sim.transform
    for d, zenith in zip(sim.dates, sim.zenith_troposphere_m, strict=True):
        r, c = (zenith.shape[0] // block) * block, (zenith.shape[1] // block) * block
        coarse = zenith[:r, :c].reshape(r // block, block, c // block, block).mean(axis=(1, 3))
        coarse = hydrostatic_m + coarse + rng.normal(0, noise_m, coarse.shape)
        path = out / f"{d:%Y%m%d}.ztd.tif"
        with rasterio.open(path, "w", driver="GTiff", height=coarse.shape[0], width=coarse.shape[1], count=1,
                           dtype="float32", crs="EPSG:4326",
                           transform=from_origin(tr.c, tr.f, tr.a * block, -tr.e * block)) as dst:
            dst.write(coarse.astype(np.float32), 1)
        files.append(path)
    return files
