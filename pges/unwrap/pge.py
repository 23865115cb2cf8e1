"""The ``unwrap`` PGE: unwrap wrapped interferograms that other processors formed.

Steps per interferogram (all on the source's lon/lat grid):

1. read it and its coherence with :func:`pges.readers.read_interferograms` (any supported format);
   without coherence, a phase-consistency estimate ``|mean(exp(i phi))|`` over 5 x 5 pixels stands in
   (flag ``coherence_estimated``: it is biased high where the phase is smooth, ~0.2 for pure noise);
2. multilook ``looks_azimuth x looks_range``: complex mean of the interferogram, mean of the coherence; the
   transform is scaled by the looks (trailing partial windows dropped);
3. Goldstein filter (``filter.strength``; off by default), mask ``coherence < min_coherence`` and no data;
4. unwrap with :func:`pges.interferogram.unwrap.unwrap` (SNAPHU with ``nlooks`` = the looks taken here, or
   the quality-guided unwrapper); pixels outside every connected component are not unwrapped (NaN);
5. reference at the centre of the most coherent window of the largest component, or a given lat/lon;
6. write the interferogram PGE's layout and the met.json. ``sarlake:unwrapped_fraction`` is the share of
   pixels with data that lie in a connected component (not a coherence threshold).

The product id is ``EXT-<FORMAT>-[<MISSION>-][T<track>-]<stem>-<later>_<earlier>-UNW-<hash4>``, the hash of the
input name and the parameters, so runs with other looks or unwrappers do not overwrite each other.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.transform import Affine

from pges import __version__
from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.ingest.inputs import check_aoi
from pges.interferogram.browse import write_browse
from pges.interferogram.goldstein import goldstein
from pges.interferogram.naming import inputs_hash4
from pges.interferogram.reference import apply_reference, find_reference_coherence, phase_to_los_mm
from pges.interferogram.unwrap import unwrap
from pges.metadata import COG_TYPE, AssetSpec, band_letter, bbox_polygon, build_item, layer_title, write_item
from pges.raster import write_cog
from pges.readers import Interferogram, read_interferograms, with_coherence
from pges.readers.coherence import coherence_looked_for
from pges.readers.wavelength import SPEED_OF_LIGHT
from pges.runner import ProductResult, RunContext
from pges.source_geometry import source_properties, track_of
from pges.unwrap.config import UnwrapParameters
from pges.unwrap.inputs import already_unwrapped, fetch_inputs, one_coherence_for, only_pairs, pair_name

__all__ = ["UnwrapOutputs", "Unwrapped2D", "multilook", "phase_consistency", "product_id", "run", "unwrap_ifg"]

logger = logging.getLogger(__name__)


@dataclass
class UnwrapOutputs:
    """The products of an unwrap run."""

    products: list[ProductResult] = field(default_factory=list)


@dataclass
class Unwrapped2D:
    """Multilooked, unwrapped arrays on the output grid."""

    wrapped: np.ndarray  # complex64, filtered
    coherence: np.ndarray
    amplitude: np.ndarray
    phase: np.ndarray  # rad, referenced, NaN where not unwrapped
    conncomp: np.ndarray  # uint16, 0 = not unwrapped
    has_data: np.ndarray
    transform: Affine
    reference_rc: tuple[int, int]
    software: dict[str, str]

    @property
    def unwrapped_fraction(self) -> float:
        """Share of the pixels with data that lie in a connected component."""
        return float((self.conncomp > 0).sum() / max(1, self.has_data.sum()))


def phase_consistency(ifg: np.ndarray, window: int = 5) -> np.ndarray:
    """``|mean(exp(i phi))|`` over ``window x window`` pixels (0..1): a coherence proxy from the phase alone."""
    from scipy.ndimage import uniform_filter

    unit = np.where(np.abs(ifg) > 0, ifg / np.maximum(np.abs(ifg), 1e-30), 0)
    re_ = uniform_filter(unit.real.astype(np.float64), window, mode="nearest")
    im_ = uniform_filter(unit.imag.astype(np.float64), window, mode="nearest")
    return np.hypot(re_, im_).astype(np.float32)


def multilook(x: np.ndarray, la: int, lr: int) -> np.ndarray:
    """Block mean over ``la x lr`` pixels (trailing partial windows dropped); complex stays complex."""
    rows, cols = (x.shape[0] // la) * la, (x.shape[1] // lr) * lr
    return x[:rows, :cols].reshape(rows // la, la, cols // lr, lr).mean(axis=(1, 3))


def _reference_rc(p: UnwrapParameters, coh: np.ndarray, valid: np.ndarray, cc: np.ndarray,
                  transform: Affine, what: str) -> tuple[int, int]:
    if p.reference.method == "latlon":
        assert p.reference.lat is not None and p.reference.lon is not None
        col, row = ~transform @ (p.reference.lon, p.reference.lat)
        r, c = int(np.floor(row)), int(np.floor(col))
        if not (0 <= r < coh.shape[0] and 0 <= c < coh.shape[1]):
            raise InputValidationError(
                f"{what}: reference point ({p.reference.lat}, {p.reference.lon}) is outside the interferogram",
                parameter="reference")
        return r, c
    labels, counts = np.unique(cc[valid], return_counts=True)
    biggest = valid & (cc == labels[np.argmax(counts)]) if labels.size else valid
    return find_reference_coherence(coh, biggest, p.reference.window)


def unwrap_ifg(ifg: Interferogram, p: UnwrapParameters) -> Unwrapped2D:
    """Multilook, filter, unwrap and reference one wrapped interferogram (steps 2-5 of the module doc).

    Raises:
        InputValidationError: smaller than two multilook windows, or nothing left to unwrap after masking.
    """
    assert ifg.wrapped is not None
    la, lr = p.looks_azimuth, p.looks_range
    what = ifg.path.name
    if ifg.shape[0] < 2 * la or ifg.shape[1] < 2 * lr:
        raise InputValidationError(f"{what}: {ifg.shape[0]}x{ifg.shape[1]} is smaller than two {la}x{lr} looks")
    data = ~ifg.nodata_mask
    cplx = np.where(data, ifg.wrapped, 0).astype(np.complex64)
    coh_full = ifg.coherence if ifg.coherence is not None else phase_consistency(cplx)
    coh_full = np.where(data, np.nan_to_num(coh_full), 0.0).astype(np.float32)
    count = multilook(data.astype(np.float32), la, lr)
    ml = multilook(cplx, la, lr).astype(np.complex64)
    has_data = count > 0
    coh = np.where(has_data, multilook(coh_full, la, lr) / np.maximum(count, 1e-9), 0.0).astype(np.float32)
    amp = np.where(has_data, multilook(np.abs(cplx), la, lr) / np.maximum(count, 1e-9), np.nan).astype(np.float32)
    filt = goldstein(ml, p.filter.strength, p.filter.patch) if p.filter.strength > 0 else ml
    mask = has_data & (coh >= p.min_coherence) & (np.abs(ml) > 0)
    if not mask.any():
        raise InputValidationError(f"{what}: no pixel has data and coherence >= {p.min_coherence} (min_coherence)")
    unw = unwrap(filt, coh, float(la * lr), mask, p.unwrap)
    valid = mask & (unw.conncomp > 0)
    cc = np.where(valid, unw.conncomp, 0).astype(np.uint16)
    transform = ifg.transform @ Affine.scale(lr, la)
    rc = _reference_rc(p, coh, valid if valid.any() else mask, cc, transform, what)
    phase, _ = apply_reference(unw.phase, valid if valid.any() else mask, rc, p.reference.window)
    phase = np.where(valid, phase, np.nan).astype(np.float32)
    coh_out = np.where(has_data, coh, np.nan).astype(np.float32)
    return Unwrapped2D(filt, coh_out, amp, phase, cc, has_data, transform, rc, unw.software)


def product_id(ifg: Interferogram, p: UnwrapParameters) -> str:
    """``EXT-ROIPAC-geo_060619-061002-20061002_20060619-UNW-1a2b`` (mission and track inserted when known).

    The track is ``--track``, else the file's (as ingest's ids): ISCE2 and SNAP name every pair's file alike, so
    the same dates from two tracks would otherwise be one product.
    """
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", ifg.path.name.split(".")[0]).strip("_") or "ifg"
    parts = ["EXT", ifg.source_format.upper()]
    if p.mission:
        parts.append(re.sub(r"[^A-Za-z0-9]+", "", p.mission).upper())
    track = track_of(ifg, p.track, p.orbit_state)[0]
    if track is not None:
        parts.append(f"T{track:03d}")
    params = p.model_dump(mode="json", exclude={"aoi", "aoi_wkt", "overwrite", "browse_max_size", "coherence_dirs",
                                                "pairs"})  # which pairs were asked for does not change a product
    hash4 = inputs_hash4([ifg.path.name, ifg.reference_date.isoformat()], params)
    parts += [stem, pair_name(ifg), "UNW", hash4]
    return "-".join(parts)


def _write(ifg: Interferogram, res: Unwrapped2D, p: UnwrapParameters, out: Path, pid: str,
           provenance: dict[str, Any], flags: list[str]) -> Path:
    los = phase_to_los_mm(res.phase, ifg.wavelength_m)
    layers = {
        "unwrapped_phase": (res.phase, "rad", "unwrapped phase, referenced"),
        "coherence": (res.coherence, "1", "coherence" + (" (estimated from the phase)" if flags else "")),
        "amplitude": (res.amplitude, "1", "amplitude of the multilooked interferogram"),
        "los_displacement": (los, "mm", "LOS displacement, positive towards the satellite"),
        "wrapped_phase": (np.where(res.has_data, np.angle(res.wrapped), np.nan), "rad", "wrapped phase"),
    }
    assets: dict[str, AssetSpec] = {}
    for name, (data, units, title) in layers.items():
        write_cog(out / f"{name}.tif", data.astype(np.float32), res.transform, nodata=np.nan, units=units,
                  description=title)
        assets[name] = AssetSpec(f"{name}.tif", type=COG_TYPE, title=layer_title(title, units))
    write_cog(out / "connected_components.tif", res.conncomp, res.transform, nodata=0, resampling="nearest",
              description="connected components, 0 = not unwrapped")
    assets["connected_components"] = AssetSpec("connected_components.tif", type=COG_TYPE,
                                                title="connected components")
    days = (ifg.reference_date - ifg.secondary_date).days
    write_browse(out / "browse.png", layers["wrapped_phase"][0], res.amplitude, res.coherence, p.browse_max_size,
                 title=f"{ifg.path.name}  {ifg.reference_date} / {ifg.secondary_date} ({days} days)",
                 mm_per_cycle=ifg.wavelength_m / 2 * 1000)
    assets["browse"] = AssetSpec("browse.png", type="image/png", roles=("overview",),
                                 title="fringes over amplitude | coherence")
    rows, cols = res.phase.shape
    (x0, y0), (x1, y1) = res.transform @ (0, 0), res.transform @ (cols, rows)
    west, south, east, north = min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
    lon, lat = res.transform @ (res.reference_rc[1] + 0.5, res.reference_rc[0] + 0.5)
    properties: dict[str, Any] = {
        "start_datetime": f"{ifg.secondary_date.isoformat()}T00:00:00Z",
        "end_datetime": f"{ifg.reference_date.isoformat()}T00:00:00Z",
        "sarlake:product_type": "L2_IFG",
        "sar:product_type": "UNW",
        "sar:frequency_band": band_letter(ifg.wavelength_m),
        "sar:center_frequency": round(SPEED_OF_LIGHT / ifg.wavelength_m / 1e9, 4),
        "sar:looks_range": p.looks_range,
        "sar:looks_azimuth": p.looks_azimuth,
        "sarlake:aoi": p.aoi,
        "sarlake:reference_date": ifg.reference_date.isoformat(),
        "sarlake:secondary_date": ifg.secondary_date.isoformat(),
        "sarlake:temporal_baseline_days": days,
        "sarlake:coherence_mean": round(float(np.nanmean(res.coherence)), 4),
        "sarlake:unwrapped_fraction": round(res.unwrapped_fraction, 4),
        "sarlake:unwrap_method": p.unwrap.method,
        "sarlake:reference_point": {"lat": round(float(lat), 6), "lon": round(float(lon), 6)},
        "sarlake:wavelength_m": ifg.wavelength_m,
        "sarlake:wavelength_source": ifg.wavelength_source or None,
        "sarlake:los_sign": "positive towards the satellite",
        "sarlake:source_format": ifg.source_format,
        "sarlake:source_file": ifg.path.name,
        "sarlake:source_coherence_file": ifg.coherence_path.name if ifg.coherence_path else None,
        "sarlake:flags": flags,
        "sarlake:version": __version__,
        "sarlake:grid": {"crs": ifg.crs, "shape": [rows, cols],
                         "transform": [float(v) for v in tuple(res.transform)[:6]]},
    }
    if p.mission:
        properties["platform"] = p.mission.lower()
    properties.update(source_properties(ifg, track=p.track, orbit_state=p.orbit_state))  # the file's geometry too
    properties["processing:software"] = {"sarlake-pges": __version__, **res.software}
    item = build_item(product_dir=out, item_id=pid, geometry=bbox_polygon(west, south, east, north),
                      bbox=[west, south, east, north], properties=properties, assets=assets, provenance=provenance)
    return write_item(item, out)


def run(cfg: RunConfig[UnwrapParameters], ctx: RunContext) -> UnwrapOutputs:
    """Unwrap every wrapped interferogram of ``cfg.inputs`` into an L2_IFG product."""
    if not cfg.inputs:
        raise InputValidationError("unwrap needs at least one wrapped interferogram (inputs: [...])")
    fetched = fetch_inputs(cfg, ctx)
    p = fetched.params
    ifgs: list[tuple[str, Interferogram]] = []
    later = bool(p.pairs) and fetched.coherence is not None  # the coherence goes to the one pair chosen (below)
    for uri, path in fetched.files:  # none unwrapped by its name or data type (fetch_inputs told)
        for ifg in read_interferograms(path, source_format=p.source_format,
                                       coherence=None if later else fetched.coherence,
                                       coherence_dirs=() if later else p.coherence_dirs, wavelength_m=p.wavelength_m):
            if not ifg.is_wrapped:
                raise already_unwrapped(path)
            ifgs.append((uri, ifg))
    ifgs = only_pairs(ifgs, p.pairs, fetched.downloaded)  # a pair not asked for is neither unwrapped nor checked
    if later:
        if len(ifgs) > 1:
            raise one_coherence_for(len(ifgs), "the pairs asked for")
        ifgs = [(uri, with_coherence(ifg, fetched.coherence)) for uri, ifg in ifgs]
    for _, ifg in ifgs:
        check_aoi(ifg, p.aoi_wkt, p.aoi)
    outputs = UnwrapOutputs()
    for uri, ifg in ifgs:
        pid = product_id(ifg, p)
        if not p.overwrite and ctx.publisher.exists(pid):
            logger.info("%s already exists: kept (give --replace to redo it)", pid)
            outputs.products.append(ProductResult(pid, None, skipped=True))
            continue
        flags = []
        if ifg.coherence is None:
            logger.warning("%s: no coherence given or found (%s); using the phase consistency (flag "
                           "coherence_estimated)", ifg.path.name, coherence_looked_for(ifg, p.coherence_dirs))
            flags.append("coherence_estimated")
        res = unwrap_ifg(ifg, p)
        out = ctx.product_dir(pid)
        prov = ctx.provenance(cfg, **res.software)
        prov["inputs"] = [uri] + ([fetched.downloaded.origin(ifg.coherence_path)] if ifg.coherence_path else [])
        _write(ifg, res, p, out, pid, prov, flags)
        logger.info("unwrapped %s -> %s: %.0f%% in connected components", ifg.path.name, pid,
                    100 * res.unwrapped_fraction)
        outputs.products.append(ProductResult(pid, out))
    return outputs
