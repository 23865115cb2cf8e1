"""The ``timeseries`` PGE: L2_IFG products -> one L3_TS product.

Steps: load the products (``stack``), select the network, mask by coherence, reference every
interferogram to one point, check triplet closure on the phase (``closure``), convert to LOS mm
(``-phase * wavelength / 4 pi``, positive toward the satellite), invert (``sbas``), fit the velocity,
compare with GNSS, write the product.

Product layout (``<output_dir>/<id>/``), COGs on the inputs' grid, NaN = no data:

* ``velocity_mm_yr.tif``, ``velocity_sigma_mm_yr.tif`` LOS rate and its 1-sigma (from the fit residuals);
* ``displacement_mm.tif`` one band per date (band description = date), relative to the first date;
* ``closure_ambiguity_count.tif`` triplets with a non-zero integer closure ambiguity at each pixel;
* ``connected_mask.tif`` uint8, 1 where every date is tied into one network component;
* ``velocity.png`` and ``<id>.met.json`` (``sarlake:product_type`` L3_TS).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from pges.contract import RunConfig
from pges.gnss import fit_velocity, los_unit_vector, project_enu_to_los, read_gnss
from pges.metadata import COG_TYPE, AssetSpec, bbox_polygon, build_item, write_item
from pges.raster import write_cog
from pges.runner import ProductResult, RunContext
from pges.timeseries.closure import ClosureResult, closure_check
from pges.timeseries.config import TimeseriesParameters
from pges.timeseries.outputs import plot_velocity, write_multiband_cog
from pges.timeseries.sbas import SBASResult, invert_sbas, pair_indices, velocity
from pges.timeseries.stack import IfgStack, load_stack, mask_by_coherence, reference_stack, select_network

__all__ = ["TimeseriesOutputs", "TimeseriesResult", "compare_gnss", "process", "run"]

logger = logging.getLogger(__name__)

LOS_SIGN = "positive = motion toward the satellite (range decrease)"


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
    gnss: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TimeseriesOutputs:
    """The L3_TS product of a run and the paths of its files."""

    products: list[ProductResult] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    result: TimeseriesResult | None = None


def process(stack: IfgStack, p: TimeseriesParameters) -> TimeseriesResult:
    """Select, mask, reference, check closure, invert and fit velocity (no file I/O)."""
    stack = select_network(stack, p.network)
    phase = mask_by_coherence(stack, p.min_coherence)
    phase, ref_rc = reference_stack(phase, p.reference, stack.transform, stack.coherence)
    dates = stack.dates
    pairs = pair_indices(stack.pairs, dates)
    clos = closure_check(phase, pairs)
    los_mm = -phase.astype(np.float64) * stack.wavelength_m / (4 * np.pi) * 1000.0
    sb = invert_sbas(los_mm, pairs, dates)
    v, s = velocity(sb.timeseries, dates, sb.component)
    if len(sb.network_components) > 1:
        logger.warning(
            "network is disconnected: %d components %s; each is inverted on its own",
            len(sb.network_components),
            [[dates[i].isoformat() for i in c] for c in sb.network_components],
        )
    return TimeseriesResult(stack, dates, pairs, ref_rc, sb, clos, v.astype(np.float32), s.astype(np.float32))


def compare_gnss(res: TimeseriesResult, paths: list[Path], p: TimeseriesParameters) -> list[dict[str, Any]]:
    """LOS-projected GNSS velocity vs InSAR velocity at each station inside the grid.

    The GNSS rate is fitted over the stack's time span when the series covers at least a year of it,
    otherwise over the whole series (``gnss_window`` says which). InSAR rates are relative to the reference
    point, GNSS ones to the frame; ``difference`` is InSAR minus GNSS and holds that offset.
    """
    assert p.incidence_deg is not None and p.heading_deg is not None
    los = los_unit_vector(p.incidence_deg, p.heading_deg)
    t0, t1 = np.datetime64(res.dates[0], "D"), np.datetime64(res.dates[-1], "D")
    rows, cols = res.velocity_mm_yr.shape
    out = []
    for path in paths:
        g = read_gnss(path)
        entry: dict[str, Any] = {"station": g.station, "lat": g.lat, "lon": g.lon, "file": path.name}
        colf, rowf = ~res.stack.transform @ (g.lon, g.lat)
        r, c = int(np.floor(rowf)), int(np.floor(colf))
        if not (0 <= r < rows and 0 <= c < cols):
            entry["status"] = "outside the interferogram grid"
            out.append(entry)
            continue
        in_span = (g.dates >= t0) & (g.dates <= t1)
        use = in_span if in_span.sum() >= 30 and (t1 - t0).astype(int) >= 365 else np.ones(len(g), bool)
        d_los = project_enu_to_los(g.east, g.north, g.up, los)[use] * 1000.0
        sig = np.sqrt((np.abs(los) ** 2 * np.column_stack([g.sigma_east, g.sigma_north, g.sigma_up])[use] ** 2).sum(1))
        v_gnss, s_gnss = fit_velocity(g.decimal_year[use], d_los, sig * 1000.0)
        v_insar = float(res.velocity_mm_yr[r, c])
        entry.update(
            status="ok" if np.isfinite(v_insar) else "no InSAR velocity at the station",
            row=r,
            col=c,
            gnss_window="stack span" if use is in_span else "whole series",
            gnss_los_mm_yr=round(v_gnss, 3),
            gnss_sigma_mm_yr=round(s_gnss, 3),
            insar_mm_yr=round(v_insar, 3) if np.isfinite(v_insar) else None,
            difference_mm_yr=round(v_insar - v_gnss, 3) if np.isfinite(v_insar) else None,
        )
        out.append(entry)
    return out


def product_id(res: TimeseriesResult, aoi: str | None) -> str:
    """``L3-TS-<AOI>-<first>_<last>-<hash4 of the input ids>``."""
    name = re.sub(r"[^A-Za-z0-9]+", "", aoi or "stack").upper() or "STACK"
    digest = hashlib.sha256("\n".join(sorted(res.stack.ids)).encode()).hexdigest()[:4]
    return f"L3-TS-{name}-{res.dates[0]:%Y%m%d}_{res.dates[-1]:%Y%m%d}-{digest}"


def write_product(
    res: TimeseriesResult, p: TimeseriesParameters, out: Path, prov: dict[str, Any], pid: str
) -> dict[str, Path]:
    """Write the COGs, the figure and the met.json of the L3_TS product into ``out``."""
    tr, nan = res.stack.transform, float("nan")
    files = {
        "velocity": write_cog(
            out / "velocity_mm_yr.tif", res.velocity_mm_yr, tr, nodata=nan, description="velocity", units="mm/yr"
        ),
        "velocity_sigma": write_cog(
            out / "velocity_sigma_mm_yr.tif",
            res.velocity_sigma_mm_yr,
            tr,
            nodata=nan,
            description="velocity_sigma",
            units="mm/yr",
        ),
        "displacement": write_multiband_cog(
            out / "displacement_mm.tif",
            res.sbas.timeseries.astype(np.float32),
            tr,
            nodata=nan,
            descriptions=[d.isoformat() for d in res.dates],
            units="mm",
        ),
        "closure_ambiguity_count": write_cog(
            out / "closure_ambiguity_count.tif",
            res.closure.count.astype(np.int16),
            tr,
            nodata=None,
            resampling="nearest",
            description="closure_ambiguity_count",
        ),
        "connected_mask": write_cog(
            out / "connected_mask.tif",
            res.sbas.connected.astype(np.uint8),
            tr,
            nodata=None,
            resampling="nearest",
            description="connected_mask",
        ),
    }
    stations = [(g["station"], g["lon"], g["lat"]) for g in res.gnss if g.get("status") == "ok"]
    files["browse"] = plot_velocity(
        out / "velocity.png",
        res.velocity_mm_yr,
        tr,
        sigma=res.velocity_sigma_mm_yr,
        reference_rc=res.reference_rc,
        stations=stations,
        title=f"LOS velocity {res.dates[0]} .. {res.dates[-1]} ({len(res.pairs)} ifgs, {len(res.dates)} dates)",
    )
    rows, cols = res.velocity_mm_yr.shape
    west, north = tr @ (0, 0)
    east, south = tr @ (cols, rows)
    west, east, south, north = min(west, east), max(west, east), min(south, north), max(south, north)
    ref_lon, ref_lat = tr @ (res.reference_rc[1] + 0.5, res.reference_rc[0] + 0.5)
    v = res.velocity_mm_yr
    comps = res.sbas.network_components
    properties: dict[str, Any] = {
        "start_datetime": f"{res.dates[0].isoformat()}T00:00:00Z",
        "end_datetime": f"{res.dates[-1].isoformat()}T00:00:00Z",
        "sarlake:product_type": "L3_TS",
        "sarlake:aoi": p.aoi,
        "sarlake:dates": [d.isoformat() for d in res.dates],
        "sarlake:pairs": [f"{res.dates[i]:%Y%m%d}_{res.dates[j]:%Y%m%d}" for i, j in res.pairs],
        "sarlake:wavelength_m": res.stack.wavelength_m,
        "sarlake:los_sign_convention": LOS_SIGN,
        "sarlake:reference_point": {
            "row": res.reference_rc[0],
            "col": res.reference_rc[1],
            "lat": round(ref_lat, 7),
            "lon": round(ref_lon, 7),
            "radius_px": p.reference.radius_px,
            "auto": p.reference.auto,
        },
        "sarlake:network": {
            "n_interferograms": len(res.pairs),
            "n_dates": len(res.dates),
            "connected": len(comps) == 1,
            "components": [[res.dates[i].isoformat() for i in c] for c in comps],
            "connected_pixel_fraction": round(float(res.sbas.connected.mean()), 4),
        },
        "sarlake:closure": {
            "n_triplets": int(res.closure.triplets.shape[0]),
            "pixels_with_nonzero_ambiguity": int((res.closure.count > 0).sum()),
            "flagged_pixels_per_ifg": {res.stack.ids[k]: int(n) for k, n in enumerate(res.closure.ifg_flagged_pixels)},
        },
        "sarlake:velocity_stats_mm_yr": {
            "min": float(np.nanmin(v)) if np.isfinite(v).any() else None,
            "max": float(np.nanmax(v)) if np.isfinite(v).any() else None,
            "median_sigma": float(np.nanmedian(res.velocity_sigma_mm_yr))
            if np.isfinite(res.velocity_sigma_mm_yr).any()
            else None,
            "valid_fraction": round(float(np.isfinite(v).mean()), 4),
        },
        "sarlake:gnss_comparison": res.gnss,
        "sarlake:min_coherence": p.min_coherence,
    }
    assets = {
        "velocity": AssetSpec("velocity_mm_yr.tif", COG_TYPE, title=f"LOS velocity, mm/yr, {LOS_SIGN}"),
        "velocity_sigma": AssetSpec("velocity_sigma_mm_yr.tif", COG_TYPE, title="velocity 1-sigma, mm/yr"),
        "displacement": AssetSpec(
            "displacement_mm.tif",
            COG_TYPE,
            title="LOS displacement per date (one band per date), mm, relative to the first date",
        ),
        "closure_ambiguity_count": AssetSpec(
            "closure_ambiguity_count.tif",
            COG_TYPE,
            roles=("quality",),
            title="triplets with non-zero integer closure ambiguity per pixel",
        ),
        "connected_mask": AssetSpec(
            "connected_mask.tif", COG_TYPE, roles=("quality",), title="1 = all dates in one network component"
        ),
        "browse": AssetSpec("velocity.png", "image/png", roles=("overview",), title="velocity map"),
    }
    prov = dict(prov)
    prov["input_product_ids"] = list(res.stack.ids)
    item = build_item(
        product_dir=out,
        item_id=pid,
        geometry=bbox_polygon(west, south, east, north),
        bbox=[west, south, east, north],
        properties=properties,
        assets=assets,
        provenance=prov,
    )
    files["met"] = write_item(item, out)
    return files


def run(cfg: RunConfig[TimeseriesParameters], ctx: RunContext) -> TimeseriesOutputs:
    """Make the L3_TS product of the L2_IFG products named in ``cfg.inputs``."""
    p = cfg.parameters
    stack = load_stack(list(cfg.inputs), ctx.fetch)
    res = process(stack, p)
    if p.gnss_files:
        res.gnss = compare_gnss(res, [ctx.fetch(u) for u in p.gnss_files], p)
    pid = product_id(res, p.aoi)
    out = ctx.product_dir(pid)
    files = write_product(res, p, out, ctx.provenance(cfg), pid)
    logger.info("time series %s: %d ifgs, %d dates", pid, len(res.pairs), len(res.dates))
    return TimeseriesOutputs(products=[ProductResult(pid, out)], files=files, result=res)
