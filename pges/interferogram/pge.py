"""The ``interferogram`` PGE: read the pair, run the steps, write COGs, browse and met.json.

Product layout (``<output_dir>/<S1-GUNW-...>/``): ``unwrapped_phase.tif`` (rad), ``coherence.tif``,
``connected_components.tif`` (uint16, 0 = not unwrapped), ``amplitude.tif``, ``los_displacement.tif``
(mm, positive towards the satellite), ``wrapped_phase.tif`` (rad), ``browse.png`` and the met.json.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from pges import __version__
from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.interferogram.browse import write_browse
from pges.interferogram.config import InterferogramParameters
from pges.interferogram.form import form_multilook
from pges.interferogram.geocode import geocode, geocode_wrapped, geogrid_for, multilook_mean, radar_coords
from pges.interferogram.goldstein import goldstein
from pges.interferogram.inputs import SLCInput, order_pair, read_slc_input
from pges.interferogram.naming import gunw_id, inputs_hash4
from pges.interferogram.reference import (
    apply_reference,
    find_reference_coherence,
    find_reference_latlon,
    phase_to_los_mm,
)
from pges.interferogram.unwrap import unwrap
from pges.metadata import COG_TYPE, AssetSpec, build_item, footprint_polygon, iso_utc, layer_title, write_item
from pges.raster import read_raster, write_cog
from pges.runner import ProductResult, RunContext

__all__ = ["InterferogramArrays", "InterferogramOutputs", "process_pair", "run"]

logger = logging.getLogger(__name__)


@dataclass
class InterferogramOutputs:
    """The product of an interferogram run."""

    products: list[ProductResult] = field(default_factory=list)


@dataclass
class InterferogramArrays:
    """Radar-grid (multilooked) results of :func:`process_pair`."""

    ifg: np.ndarray  # complex64, unfiltered
    filtered: np.ndarray  # complex64
    coherence: np.ndarray
    amplitude: np.ndarray
    unwrapped: np.ndarray  # rad, referenced, NaN where not unwrapped
    conncomp: np.ndarray
    valid: np.ndarray
    reference_rc: tuple[int, int]
    software: dict[str, str]


def process_pair(
    ref: np.ndarray, sec: np.ndarray, p: InterferogramParameters, lat: np.ndarray | None = None,
    lon: np.ndarray | None = None, label: str = "the SLC pair",
) -> InterferogramArrays:
    """Form, filter, unwrap and reference an interferogram on the (multilooked) radar grid.

    Args:
        ref: reference (later) SLC, complex64.
        sec: secondary (earlier) SLC, same shape.
        p: parameters.
        lat: multilooked latitude lookup (needed for a lat/lon reference point).
        lon: multilooked longitude lookup (idem).
        label: how to name the inputs in errors.

    Raises:
        InputValidationError: the coherence is all zero or NaN.
    """
    ifg, coh, amp = form_multilook(ref, sec, p.looks_azimuth, p.looks_range)
    finite = np.isfinite(coh)
    if not finite.any() or not np.nanmax(coh) > 0:
        raise InputValidationError(f"coherence of {label} is all zero or NaN (empty or unrelated SLCs)")
    filt = goldstein(ifg, p.filter.strength, p.filter.patch)
    mask = finite & (coh >= p.min_coherence) & (amp > 0)
    unw = unwrap(filt, coh, p.looks_azimuth * p.looks_range, mask, p.unwrap)
    valid = mask & (unw.conncomp > 0)
    if not valid.any():
        valid = mask
    if p.reference.method == "latlon":
        assert lat is not None and lon is not None and p.reference.lat is not None and p.reference.lon is not None
        rc = find_reference_latlon(lat, lon, p.reference.lat, p.reference.lon)
    else:
        labels, counts = np.unique(unw.conncomp[valid], return_counts=True)
        biggest = valid & (unw.conncomp == labels[np.argmax(counts)]) if labels.size else valid
        rc = find_reference_coherence(coh, biggest, p.reference.window)
    phase, _ = apply_reference(unw.phase, valid, rc, p.reference.window)
    phase = np.where(valid, phase, np.nan).astype(np.float32)
    return InterferogramArrays(ifg, filt, coh, amp, phase, unw.conncomp, valid, rc, unw.software)


def _read_pair(ref: SLCInput, sec: SLCInput) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read both SLCs and the reference's lookups, each checked against the grid shape of its met.json.

    Raises:
        InputValidationError: a raster is unreadable, not complex, or its size disagrees with ``sarlake:grid``.
    """

    def read(slc: SLCInput, name: str, shape: tuple[int, int] | None) -> np.ndarray:
        what = f"{slc.paths[name]} (asset '{name}' of {Path(slc.uri).name}, sarlake:grid shape {shape})"
        return read_raster(slc.paths[name], what=what, expect_shape=shape)

    declared = tuple(ref.grid.get("shape") or ()) or None
    a = read(ref, "slc", declared)  # type: ignore[arg-type]
    b = read(sec, "slc", a.shape)
    if a.dtype.kind != "c" or b.dtype.kind != "c":
        raise InputValidationError(f"SLC rasters {ref.paths['slc']} / {sec.paths['slc']} must be complex")
    lat = read(ref, "lat", a.shape).astype(np.float64)
    lon = read(ref, "lon", a.shape).astype(np.float64)
    return a, b, lat, lon



def _dem_heights(ref: SLCInput, shape: tuple[int, int], la: int, lr: int) -> np.ndarray | None:
    """The reference SLC's DEM (heights on its radar grid), multilooked like the phase; None without one.

    Raises:
        InputValidationError: the DEM asset is unreadable or not on the SLC's grid.
    """
    if "dem" not in ref.paths:
        return None
    what = f"{ref.paths['dem']} (asset 'dem' of {Path(ref.uri).name}, SLC grid shape {shape})"
    heights = read_raster(ref.paths["dem"], what=what, expect_shape=shape).astype(np.float64)
    return multilook_mean(heights, la, lr)


def _wavelength(ref: Any, sec: Any) -> float:
    """The radar wavelength (m) both SLCs' metadata carry; missing or unequal is an input error."""
    values = [slc.props.get("sarlake:wavelength_m") for slc in (ref, sec)]
    for slc, value in zip((ref, sec), values, strict=True):
        if value is None or not 0.001 < float(value) < 10.0:
            raise InputValidationError(
                f"SLC {slc.uri}: property sarlake:wavelength_m is {value!r}; the radar wavelength (m) must be in "
                "the input's metadata (the staging PGE writes it)"
            )
    if abs(float(values[0]) - float(values[1])) > 1e-9:
        raise InputValidationError(f"SLCs {ref.uri} and {sec.uri} have different wavelengths {values[0]} and "
                                   f"{values[1]}: they cannot form an interferogram")
    return float(values[0])

def run(cfg: RunConfig[InterferogramParameters], ctx: RunContext) -> InterferogramOutputs:
    """Make one interferogram product from the two SLC met.json URIs in ``cfg.inputs``."""
    p = cfg.parameters
    if len(cfg.inputs) != 2:
        raise InputValidationError(
            f"the interferogram needs exactly 2 inputs (SLC met.json URIs), got {len(cfg.inputs)}"
        )
    a, b = (read_slc_input(ctx, uri, p.verify_checksums) for uri in cfg.inputs)
    ref, sec = order_pair(a, b)
    slc_ref, slc_sec, lat, lon = _read_pair(ref, sec)
    la, lr = p.looks_azimuth, p.looks_range
    if slc_ref.shape[0] < 2 * la or slc_ref.shape[1] < 2 * lr:
        raise InputValidationError(f"SLC {ref.paths['slc']} is smaller than two multilook windows")
    lat_ml, lon_ml = multilook_mean(lat, la, lr), multilook_mean(lon, la, lr)
    arrays = process_pair(slc_ref, slc_sec, p, lat_ml, lon_ml, label=f"{ref.uri} and {sec.uri}")
    wavelength = _wavelength(ref, sec)
    los = phase_to_los_mm(arrays.unwrapped, wavelength)

    grid = geogrid_for(lat_ml, lon_ml, p.posting_deg)
    coords = radar_coords(lat_ml, lon_ml, grid)
    geo_cc = geocode(arrays.conncomp.astype(np.uint16), coords, order=0, nodata=0)
    layers = {
        "unwrapped_phase": (geocode(arrays.unwrapped, coords), "rad", "unwrapped phase, referenced"),
        "coherence": (geocode(arrays.coherence, coords), "1", "coherence"),
        "amplitude": (geocode(arrays.amplitude, coords), "1", "amplitude (geometric mean of the SLCs)"),
        "los_displacement": (geocode(los, coords), "mm", "LOS displacement, positive towards the satellite"),
        "wrapped_phase": (geocode_wrapped(arrays.filtered, coords), "rad", "filtered wrapped phase"),
    }

    parameters = p.model_dump(mode="json")
    hash4 = inputs_hash4([ref.id, sec.id], parameters)
    fp_lon = [float(lon_ml[r, c]) for r, c in ((0, 0), (0, -1), (-1, -1), (-1, 0))]
    fp_lat = [float(lat_ml[r, c]) for r, c in ((0, 0), (0, -1), (-1, -1), (-1, 0))]
    if sum((fp_lon[i] * fp_lat[(i + 1) % 4] - fp_lon[(i + 1) % 4] * fp_lat[i]) for i in range(4)) < 0:
        fp_lon, fp_lat = fp_lon[::-1], fp_lat[::-1]
    direction = "A" if ref.props.get("sat:orbit_state") == "ascending" else "D"
    product_id = gunw_id(
        direction=direction, track=int(ref.props["sat:relative_orbit"]), ref_start=ref.start, sec_start=sec.start,
        lon=float(np.mean(fp_lon)), lat=float(np.mean(fp_lat)), hash4=hash4, version=__version__,
    )
    out = ctx.product_dir(product_id)
    assets: dict[str, AssetSpec] = {}
    for name, (data, units, title) in layers.items():
        write_cog(out / f"{name}.tif", data.astype(np.float32), grid.transform, nodata=np.nan, units=units,
                  description=title)
        assets[name] = AssetSpec(f"{name}.tif", type=COG_TYPE, title=layer_title(title, units))
    if (heights := _dem_heights(ref, slc_ref.shape, la, lr)) is not None:  # for QA: DEM correlation of the phase
        write_cog(out / "dem.tif", geocode(heights, coords).astype(np.float32), grid.transform, nodata=np.nan,
                  units="m", description="DEM heights the SLCs were simulated/processed on, multilooked")
        assets["dem"] = AssetSpec("dem.tif", type=COG_TYPE, roles=("metadata",), title="DEM heights (m)")
    write_cog(out / "connected_components.tif", geo_cc, grid.transform, nodata=0, resampling="nearest",
              description="connected components, 0 = not unwrapped")
    assets["connected_components"] = AssetSpec("connected_components.tif", type=COG_TYPE, title="connected components")
    days = (ref.start.date() - sec.start.date()).days
    title = (f"{ref.props.get('platform') or 'S1'}  track {int(ref.props['sat:relative_orbit']):03d} "
             f"{ref.props.get('sat:orbit_state') or ''}  {ref.start.date()} / {sec.start.date()} ({days} days)  "
             f"frame {ref.props.get('sarlake:frame') or '-'}")
    write_browse(out / "browse.png", layers["wrapped_phase"][0], layers["amplitude"][0], layers["coherence"][0],
                 p.browse_max_size, title=title, mm_per_cycle=wavelength / 2 * 1000)
    assets["browse"] = AssetSpec("browse.png", type="image/png", roles=("overview",),
                                 title="fringes over amplitude | coherence")

    ref_lat, ref_lon = float(lat_ml[arrays.reference_rc]), float(lon_ml[arrays.reference_rc])
    valid_frac = float(np.mean(arrays.valid[np.isfinite(arrays.coherence)]))
    bperp = float(ref.props.get("sarlake:perpendicular_baseline_m", 0.0)) - float(
        sec.props.get("sarlake:perpendicular_baseline_m", 0.0)
    )
    ref_end = ref.props.get("end_datetime") or iso_utc(ref.start + timedelta(seconds=27))
    properties: dict[str, Any] = {
        "start_datetime": iso_utc(sec.start),
        "end_datetime": ref_end,
        "sarlake:product_type": "L2_IFG",
        **{k: ref.props[k] for k in ("platform", "constellation", "sar:instrument_mode", "sar:frequency_band",
                                      "sar:center_frequency", "sar:polarizations") if k in ref.props},
        "sar:product_type": "GUNW",
        "sar:looks_range": p.looks_range,
        "sar:looks_azimuth": p.looks_azimuth,
        "sat:relative_orbit": ref.props.get("sat:relative_orbit"),
        "sat:orbit_state": ref.props.get("sat:orbit_state"),
        "sarlake:aoi": ref.props.get("sarlake:aoi"),
        "sarlake:frame": ref.props.get("sarlake:frame"),
        "sarlake:reference_id": ref.id,
        "sarlake:secondary_id": sec.id,
        "sarlake:reference_date": ref.start.date().isoformat(),
        "sarlake:secondary_date": sec.start.date().isoformat(),
        "sarlake:temporal_baseline_days": (ref.start.date() - sec.start.date()).days,
        "sarlake:perpendicular_baseline_m": round(bperp, 3),
        "sarlake:coherence_mean": round(float(np.nanmean(arrays.coherence)), 4),
        "sarlake:unwrapped_fraction": round(valid_frac, 4),
        "sarlake:reference_point": {"lat": round(ref_lat, 6), "lon": round(ref_lon, 6)},
        "sarlake:wavelength_m": wavelength,
        "view:incidence_angle": (ref.props.get("sarlake:grid") or {}).get("incidence_deg"),
        "sarlake:heading_deg": (ref.props.get("sarlake:grid") or {}).get("heading_deg"),
        "sarlake:los_sign": "positive towards the satellite",
        "sarlake:version": __version__,
    }
    prov = ctx.provenance(cfg, **arrays.software)
    properties["processing:software"] = {"sarlake-pges": __version__, **arrays.software}
    item = build_item(
        product_dir=out, item_id=product_id, geometry=footprint_polygon(fp_lon, fp_lat),
        bbox=[min(fp_lon), min(fp_lat), max(fp_lon), max(fp_lat)], properties=properties, assets=assets,
        provenance=prov,
    )
    write_item(item, out)
    logger.info("interferogram %s: coherence %.2f, unwrapped %.0f%%", product_id,
                properties["sarlake:coherence_mean"], 100 * valid_frac)
    return InterferogramOutputs([ProductResult(product_id, out)])


