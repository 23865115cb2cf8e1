"""Write docs/science.md: the time series on every real stack in the repo, measured in this run.

Usage: ``.venv/bin/python scripts/science_report.py [--output docs/science.md]``. Each figure in the page
comes from this run (nothing typed in), so the page does not drift from the code: rerun it after a change.
Real stacks: the Sydney Envisat ROI_PAC stack in tests/data (PyRate's test stack), compared with PyRate's
published linear rate for it (tests/data/envisat_sydney_roipac/pyrate_reference/linear_rate.npy).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SYD = ROOT / "tests" / "data" / "envisat_sydney_roipac"


class Timer:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float]] = []

    def __call__(self, name: str, fn, *a, **kw):
        t0 = time.perf_counter()
        out = fn(*a, **kw)
        self.rows.append((name, time.perf_counter() - t0))
        return out


def sydney(work: Path) -> dict:
    from pges.ingest import ingest
    from pges.timeseries.closure import closure_check
    from pges.timeseries.config import TimeseriesParameters
    from pges.timeseries.process import Inputs, process, to_los_mm
    from pges.timeseries.quality import mm_to_rad, temporal_coherence
    from pges.timeseries.reference import choose_reference, deforming_mask, provisional_stability
    from pges.timeseries.sbas import invert_sbas, pair_indices, velocity
    from pges.timeseries.stack import load_stack, mask_by_coherence, select_network

    t = Timer()
    unw = sorted((SYD / "roipac_unw").glob("*.unw"))
    mets = t("ingest (17 ROI_PAC .unw + GAMMA coherence -> L2_IFG COGs)", ingest, unw, work / "l2",
             coherence_dirs=[str(SYD / "gamma_coherence")], mission="envisat", aoi="sydney")
    stack = t("load stack (met.json + COGs)", load_stack, [str(m) for m in mets], Path)
    p = TimeseriesParameters()
    stack = t("network selection", select_network, stack, p.network)
    phase = t("coherence mask", mask_by_coherence, stack, p.min_coherence)
    dates = stack.dates
    pairs = pair_indices(stack.pairs, dates)
    los0 = to_los_mm(phase, stack.wavelength_m)
    stab = t("provisional inversion (stability)", provisional_stability, los0, pairs, dates, stack.wavelength_m)
    deforming = deforming_mask(stab.velocity_mm_yr)
    choice = t("reference choice", choose_reference, stab, stack.coherence, deforming)
    los = los0 - np.nanmean(los0[:, choice.row - 1 : choice.row + 2, choice.col - 1 : choice.col + 2], axis=(1, 2))[
        :, None, None
    ]
    clos = t("triplet closure", closure_check, mm_to_rad(los, stack.wavelength_m), pairs)
    sb = t("SBAS inversion", invert_sbas, los, pairs, dates)
    tcoh = t("temporal coherence", temporal_coherence, mm_to_rad(sb.residual, stack.wavelength_m))
    t("velocity fit", velocity, sb.timeseries, dates, sb.component)
    res = t("whole process() (the PGE's science, for comparison)", process, stack, p, Inputs())
    from pges.dem import load_dem, sample
    from pges.timeseries.process import grid_lonlat

    lon, lat = grid_lonlat(stack)
    height = sample(load_dem((lon.min(), lat.min(), lon.max(), lat.max()), SYD / "roipac_test_trimmed.tif",
                             margin_deg=0.005), lon, lat).astype(np.float64)
    strat = t("whole process() with the stratified correction", process, stack,
              TimeseriesParameters.model_validate({"troposphere": {"stratified": True, "dem": "x"}}),
              Inputs(height_m=height))
    any_data = np.isfinite(stack.phase).any(axis=0)
    pyrate = -np.load(SYD / "pyrate_reference" / "linear_rate.npy")  # PyRate: + = range increase
    return dict(timings=t.rows, res=res, strat=strat, any_data=any_data, pyrate=pyrate, clos=clos, tcoh=tcoh,
                n_ifg=len(stack.ids), n_dates=len(dates), choice=choice)


#: The simulated stack of tests/test_pges_timeseries_accuracy.py (same parameters, same seed).
SIM = dict(
    bbox=[14.38, 40.78, 14.50, 40.87], track=44, direction="A", frame="TS", posting_m=40, seed=3,
    deformation=[{"kind": "mogi", "volume_rate_m3_per_yr": 4e5, "depth_m": 1500,
                  "center_lon": 14.475, "center_lat": 40.85}],
    atmosphere={"turbulence_mm": 5.0, "stratified_mm_per_km": 10.0},
    noise={"coherence": 0.8, "tau_days": 30},
)


def simulated(work: Path) -> dict:
    from pges.simulate.stack import simulate_stack, write_weather_model_grids
    from pges.timeseries.config import TimeseriesParameters
    from pges.timeseries.process import Inputs, process
    from pges.timeseries.stack import IfgStack
    from pges.timeseries.troposphere import read_zenith_delay

    t0 = time.perf_counter()
    s = simulate_stack(SIM, datetime(2022, 1, 4, 5, 0, tzinfo=UTC), 62, 12, 3, 2)
    sim_s = time.perf_counter() - t0
    stack = IfgStack(ids=[f"sim_{a:%Y%m%d}_{b:%Y%m%d}" for a, b in s.pairs], uris=[""] * len(s.pairs),
                     phase=s.phase, coherence=s.coherence, pairs=s.pairs, transform=s.transform,
                     wavelength_m=s.wavelength_m, incidence_deg=s.incidence_deg, heading_deg=s.heading_deg)
    delays = [read_zenith_delay(f) for f in write_weather_model_grids(s, work)]
    strat = {"troposphere": {"stratified": True, "dem": "simulator DEM"}}
    runs = {
        "no correction": ({}, Inputs()),
        "stratified": (strat, Inputs(height_m=s.height_m)),
        "weather model": ({}, Inputs(delays=delays, height_m=s.height_m)),
        "weather model + stratified": (strat, Inputs(delays=delays, height_m=s.height_m)),
    }
    deforming = np.abs(s.velocity_true_mm_yr - np.median(s.velocity_true_mm_yr)) > 2.0
    rows = []
    for name, (params, inputs) in runs.items():
        t0 = time.perf_counter()
        res = process(stack, TimeseriesParameters.model_validate(params), inputs)
        sec = time.perf_counter() - t0
        r, c = res.reference_rc
        err = res.velocity_mm_yr - (s.velocity_true_mm_yr - s.velocity_true_mm_yr[r, c])
        ok = np.isfinite(err)
        rows.append((name, float(np.sqrt(np.mean(err[ok] ** 2))), float(ok.mean()), sec,
                     bool(deforming[max(r - 1, 0): r + 2, max(c - 1, 0): c + 2].any())))
    return dict(rows=rows, n_ifg=len(s.pairs), n_dates=len(s.dates), shape=s.phase.shape[1:], sim_s=sim_s,
                deforming_share=float(deforming.mean()))


#: The methods table (static text, kept beside this script so long Markdown rows need no wrapping).
METHODS = (Path(__file__).parent / "science_methods.md").read_text()


def compare(v: np.ndarray, ref: np.ndarray) -> dict:
    ok = np.isfinite(v) & np.isfinite(ref)
    d = v[ok] - ref[ok]
    off = float(np.median(d))
    return dict(n=int(ok.sum()), corr=float(np.corrcoef(v[ok], ref[ok])[0, 1]), offset=off,
                rms=float(np.sqrt(np.mean((d - off) ** 2))), p95=float(np.percentile(np.abs(d - off), 95)))


def render(s: dict, sim: dict) -> str:
    res, strat = s["res"], s["strat"]
    v = res.velocity_mm_yr
    share = float(np.isfinite(v[s["any_data"]]).mean())
    c = compare(v, s["pyrate"])
    cs = compare(strat.velocity_mm_yr, s["pyrate"])
    clos = s["clos"]
    lines = [
        "# Science on real data",
        "",
        f"_Generated by `scripts/science_report.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"({platform.machine()}, Python {platform.python_version()}); do not edit by hand, rerun the script._",
        "",
        "Every real interferogram stack in the repository, through the `timeseries` PGE's science with its "
        "defaults (automatic reference, temporal-coherence mask 0.7, no coherence threshold). Methods and "
        "references are in the docstrings of `pges/timeseries/` (SBAS: Berardino et al. 2002; temporal "
        "coherence: Pepe & Lanari 2006, Tizzani et al. 2007; closure: Yunjun et al. 2019; stratified "
        "troposphere: Doin et al. 2009; weather-model delays: GACOS/RAiDER; GNSS vs the NISAR transient "
        "requirement 3(1+sqrt L) mm).",
        "",
        "## Sydney, Envisat ROI_PAC (PyRate's test stack)",
        "",
        f"{s['n_ifg']} interferograms, {s['n_dates']} dates (2006-06-19 .. 2007-09-17), 72 x 47 pixels of ~90 m, "
        "GAMMA coherence (uniform noise in this fixture). Source and licence: `tests/data/SOURCES.md`.",
        "",
        "### Runtime per stage (measured in this run, one process, warm imports)",
        "",
        "| stage | seconds |",
        "|---|---:|",
        *[f"| {name} | {sec:.3f} |" for name, sec in s["timings"]],
        "",
        "### Results",
        "",
        "| quantity | value |",
        "|---|---|",
        f"| velocity range (LOS, mm/yr, + toward the satellite) | {np.nanmin(v):.1f} .. {np.nanmax(v):.1f} "
        f"(1st-99th percentile {np.nanpercentile(v, 1):.1f} .. {np.nanpercentile(v, 99):.1f}) |",
        f"| pixels with a velocity, of pixels with any data | {100 * share:.1f} % "
        f"({int(np.isfinite(v).sum())} of {int(s['any_data'].sum())}) |",
        f"| no velocity: network disconnected / low temporal coherence | {res.masked['disconnected']} / "
        f"{res.masked['low_temporal_coherence']} pixels |",
        f"| temporal coherence, median | {np.nanmedian(res.temporal_coherence):.3f} |",
        f"| closure triplets | {clos.triplets.shape[0]} |",
        f"| pixels with a non-zero integer closure ambiguity | {int((clos.count > 0).sum())} "
        f"({100 * float((clos.count > 0).mean()):.1f} %) |",
        f"| closure phase, median abs over valid triplet-pixels (rad) | "
        f"{float(np.nanmedian(np.abs(clos.closure))):.3f} |",
        f"| reference (row, col), method | ({res.reference_rc[0]}, {res.reference_rc[1]}), "
        f"{res.reference.method if res.reference else '-'}; in deforming mask: "
        f"{bool(res.deforming[res.reference_rc]) if res.deforming is not None else '-'} |",
        "",
        "### Against PyRate's published result",
        "",
        "PyRate's `linear_rate.npy` for this stack (sign turned to + toward the satellite). PyRate used its own "
        "reference pixel, an orbital plane fit per interferogram, APS spatio-temporal filtering and stacking "
        "thresholds (`pyrate_reference/pyrate_roipac_test.conf`); sarlake applies none of these by default, so "
        "the comparison removes the median offset (different references) and reports what remains.",
        "",
        "| run | pixels compared | correlation | median offset (mm/yr) | RMS difference after offset (mm/yr) | "
        "95th pct abs difference (mm/yr) |",
        "|---|---:|---:|---:|---:|---:|",
        f"| defaults | {c['n']} | {c['corr']:.3f} | {c['offset']:.2f} | {c['rms']:.2f} | {c['p95']:.2f} |",
        f"| + stratified correction (DEM of the stack) | {cs['n']} | {cs['corr']:.3f} | {cs['offset']:.2f} | "
        f"{cs['rms']:.2f} | {cs['p95']:.2f} |",
        "",
        "## Simulated stack with truth (the accuracy target)",
        "",
        f"The simulate PGE's scene model (`pges/simulate/stack.py`): {sim['n_dates']} dates 12 days apart "
        f"(2 years), each linked to the next 3 ({sim['n_ifg']} interferograms), {sim['shape'][0]} x "
        f"{sim['shape'][1]} pixels of 80 m over the Vesuvius SRTM DEM, a Mogi source "
        f"({100 * sim['deforming_share']:.0f} % of pixels move > 2 mm/yr), 5 mm turbulent troposphere, "
        "stratified 10 mm/km, temporal + geometric decorrelation, oracle unwrapping. Weather-model grids: the "
        "truth troposphere at 320 m with 2 mm noise. Simulation took "
        f"{sim['sim_s']:.1f} s. Target: velocity RMSE < 2 mm/yr after correction "
        "(`tests/test_pges_timeseries_accuracy.py` asserts it).",
        "",
        "| correction | velocity RMSE vs truth (mm/yr) | pixels with a velocity | reference in the deformation | "
        "process() seconds |",
        "|---|---:|---:|---|---:|",
        *[f"| {n} | {r:.2f} | {100 * sh:.1f} % | {'YES' if bad else 'no'} | {sec:.1f} |"
          for n, r, sh, sec, bad in sim["rows"]],
        "",
        METHODS,
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--output", default=str(ROOT / "docs" / "science.md"))
    args = ap.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        text = render(sydney(Path(tmp) / "syd"), simulated(Path(tmp)))
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
