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
* ``temporal_coherence.tif`` (0..1, MintPy's definition) and ``ifg_count.tif`` (interferograms used);
* ``gnss_residuals.csv`` and ``gnss_requirement.png`` when GNSS series are given;
* ``velocity.png`` and ``<id>.met.json`` (``sarlake:product_type`` L3_TS; ``sat:relative_orbit`` and
  ``sat:orbit_state`` when every input has the same).

Velocity is NaN where the network is disconnected at the pixel or the temporal coherence is below
``min_temporal_coherence``. When the inputs carry coherence, a second product ``L3_COH`` holds the
coherence time series (:mod:`pges.timeseries.coherence`). Product ids end in a hash of the input ids
AND every parameter, so runs with other settings never overwrite each other.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pges import __version__
from pges.contract import RunConfig
from pges.gnss import fit_velocity, los_unit_vector, project_enu_to_los, read_gnss
from pges.metadata import COG_TYPE, AssetSpec, bbox_polygon, build_item, write_item
from pges.raster import write_cog
from pges.runner import ProductResult, RunContext
from pges.timeseries.coherence import write_coherence_product
from pges.timeseries.config import TimeseriesParameters
from pges.timeseries.gnss_tie import plot_requirement, write_residual_table
from pges.timeseries.outputs import plot_velocity, write_multiband_cog
from pges.timeseries.process import Inputs, TimeseriesResult, grid_lonlat, heading_of, incidence_of, process
from pges.timeseries.stack import load_stack

__all__ = ["DEFORMATION_MASK", "TimeseriesOutputs", "TimeseriesResult", "compare_gnss", "process", "product_id", "run"]

logger = logging.getLogger(__name__)

LOS_SIGN = "positive = motion toward the satellite (range decrease)"
#: the run-config parameter of the user's deformation mask, named by its errors (``InputValidationError.parameter``)
DEFORMATION_MASK = "troposphere.deformation_mask"


@dataclass
class TimeseriesOutputs:
    """The products of a run (L3_TS, and L3_COH when there is coherence) and the paths of their files."""

    products: list[ProductResult] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    result: TimeseriesResult | None = None


def compare_gnss(res: TimeseriesResult, paths: list[Path], p: TimeseriesParameters) -> list[dict[str, Any]]:
    """LOS-projected GNSS velocity vs InSAR velocity at each station inside the grid.

    The GNSS rate is fitted over the stack's time span when the series covers at least a year of it,
    otherwise over the whole series (``gnss_window`` says which). InSAR rates are relative to the reference
    point, GNSS ones to the frame; ``difference`` is InSAR minus GNSS and holds that offset.
    """
    los = los_unit_vector(incidence_of(res.stack, p, "GNSS"), heading_of(res.stack, p))
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
            logger.warning("GNSS station %s (%s, lat %.4f, lon %.4f) is outside the interferogram grid: not compared",
                           g.station, path.name, g.lat, g.lon)
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


def run_digest(input_ids: list[str], p: TimeseriesParameters) -> str:
    """8 hex digits of sha256 over the sorted input ids and every parameter (canonical JSON).

    Every parameter can change the product (masking, reference, corrections, GNSS), so all enter the hash:
    a rerun with the same inputs and settings gets the same id (idempotent), any other setting another id.
    """
    blob = json.dumps({"inputs": sorted(input_ids), "parameters": p.model_dump(mode="json")}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:8]


def product_id(res: TimeseriesResult, p: TimeseriesParameters, kind: str = "TS") -> str:
    """``L3-<kind>-<AOI>-<first>_<last>-<hash8 of the input ids and parameters>``."""
    name = re.sub(r"[^A-Za-z0-9]+", "", p.aoi or "stack").upper() or "STACK"
    digest = run_digest(res.stack.ids, p)
    return f"L3-{kind}-{name}-{res.dates[0]:%Y%m%d}_{res.dates[-1]:%Y%m%d}-{digest}"


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
        "temporal_coherence": write_cog(
            out / "temporal_coherence.tif",
            np.asarray(res.temporal_coherence, np.float32),
            tr,
            nodata=nan,
            description="temporal_coherence",
        ),
        "ifg_count": write_cog(
            out / "ifg_count.tif",
            np.asarray(res.ifg_count, np.int16),
            tr,
            nodata=None,
            resampling="nearest",
            description="interferograms used",
        ),
    }
    if res.gnss_tie is not None and res.gnss_tie.stations:
        files["gnss_residuals"] = write_residual_table(out / "gnss_residuals.csv", res.gnss_tie)
        files["gnss_requirement"] = plot_requirement(
            out / "gnss_requirement.png", res.gnss_tie, f"InSAR - GNSS, {res.dates[0]} .. {res.dates[-1]}"
        )
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
        "sarlake:version": __version__,  # the catalogue tells a new version (hot again) from the archived one
        "sarlake:aoi": p.aoi,
        **res.stack.orbit_properties(),
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
            "method": res.reference.method if res.reference else None,
            "criteria": res.reference.criteria if res.reference else {},
            "warnings": res.reference.warnings if res.reference else [],
            "in_deforming_mask": bool(res.deforming[res.reference_rc]) if res.deforming is not None else None,
        },
        "sarlake:masking": {
            "min_coherence": p.min_coherence,
            "min_temporal_coherence": p.min_temporal_coherence,
            "pixels_no_velocity_disconnected": res.masked.get("disconnected"),
            "pixels_no_velocity_low_temporal_coherence": res.masked.get("low_temporal_coherence"),
            "deforming_pixels": int(res.deforming.sum()) if res.deforming is not None else None,
        },
        "sarlake:troposphere": [{k: v for k, v in c.items()} for c in res.corrections],
        "sarlake:gnss_tie": res.gnss_tie.summary if res.gnss_tie is not None else None,
        "sarlake:gnss_stations": res.gnss_tie.stations if res.gnss_tie is not None else [],
        "sarlake:parameters_digest": run_digest(res.stack.ids, p),
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
        "temporal_coherence": AssetSpec(
            "temporal_coherence.tif", COG_TYPE, roles=("quality",), title="temporal coherence of the inversion, 0..1"
        ),
        "ifg_count": AssetSpec(
            "ifg_count.tif", COG_TYPE, roles=("quality",), title="interferograms used at each pixel"
        ),
        "browse": AssetSpec("velocity.png", "image/png", roles=("overview",), title="velocity map"),
    }
    if "gnss_residuals" in files:
        assets["gnss_residuals"] = AssetSpec(
            "gnss_residuals.csv", "text/csv", roles=("quality",), title="InSAR - GNSS per station vs NISAR 3(1+sqrt L)"
        )
        assets["gnss_requirement"] = AssetSpec(
            "gnss_requirement.png", "image/png", roles=("overview",), title="InSAR - GNSS residuals vs distance"
        )
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


def _deformation_mask(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """The user's mask of deforming ground on the stack grid (True = deforms); its errors name the parameter."""
    from pges.errors import InputValidationError
    from pges.readers.geotiff import read_geotiff_band

    try:
        mask, *_ = read_geotiff_band(path, zero_is_data=True)  # all 0: nothing deforms
    except InputValidationError as exc:
        raise InputValidationError(str(exc), parameter=DEFORMATION_MASK) from exc
    if mask.shape != shape:
        raise InputValidationError(f"{Path(path).name} is {mask.shape[0]} x {mask.shape[1]} pixels, the stack "
                                   f"{shape[0]} x {shape[1]}: give the mask on the stack grid",
                                   parameter=DEFORMATION_MASK)
    return np.nan_to_num(mask) != 0


def read_inputs(stack_grid: Any, p: TimeseriesParameters, fetch: Any) -> Inputs:
    """Read the DEM, delay grids, deformation mask and GNSS series the parameters name (on the stack grid).

    Raises:
        InputValidationError: a file that cannot be read or does not fit the stack.
    """
    from pges.dem import load_dem, sample
    from pges.timeseries.troposphere import read_zenith_delay

    inputs = Inputs()
    t = p.troposphere
    if t.dem:
        lon, lat = grid_lonlat(stack_grid)
        bbox = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
        inputs.height_m = sample(load_dem(bbox, fetch(t.dem), margin_deg=0.005), lon, lat).astype(np.float64)
    inputs.delays = [read_zenith_delay(fetch(u)) for u in t.weather_model_files]
    if t.deformation_mask:
        inputs.deformation_mask = _deformation_mask(fetch(t.deformation_mask), stack_grid.phase.shape[1:])
    inputs.gnss = [read_gnss(fetch(u)) for u in p.gnss_files]
    return inputs


def run(cfg: RunConfig[TimeseriesParameters], ctx: RunContext) -> TimeseriesOutputs:
    """Make the L3_TS product (and L3_COH with coherence) of the L2_IFG products named in ``cfg.inputs``."""
    p = cfg.parameters
    stack = load_stack(list(cfg.inputs), ctx.fetch)
    res = process(stack, p, read_inputs(stack, p, ctx.fetch))
    if p.gnss_files:
        res.gnss = compare_gnss(res, [ctx.fetch(u) for u in p.gnss_files], p)
    pid = product_id(res, p)
    out = ctx.product_dir(pid)
    prov = ctx.provenance(cfg)
    files = write_product(res, p, out, prov, pid)
    products = [ProductResult(pid, out)]
    if res.stack.coherence is not None:
        cid = product_id(res, p, kind="COH")
        files.update(write_coherence_product(res, p, ctx.product_dir(cid), prov, cid))
        products.append(ProductResult(cid, ctx.workdir / "products" / cid))
    logger.info("time series %s: %d ifgs, %d dates", pid, len(res.pairs), len(res.dates))
    return TimeseriesOutputs(products=products, files=files, result=res)
