"""The ``ingest`` PGE: write one L2_IFG product per external interferogram.

Product layout (``<output_dir>/<id>/``), all COGs on the source's EPSG:4326 grid, NaN = no data:

* ``unwrapped_phase.tif`` radians, ``phi(later) - phi(earlier)``, positive = range increase;
* ``los_displacement_mm.tif`` ``-phase * wavelength / (4 pi)`` in mm, POSITIVE = TOWARD the satellite;
* ``coherence.tif`` (0..1), ``amplitude.tif`` and ``connected_components.tif`` when the source has them;
* ``<id>.met.json`` with ``sarlake:product_type`` L2_IFG, ``sarlake:source_format`` and ``sarlake:flags``
  (``no_coherence`` when none was given or found: also logged as a warning), and
  ``sarlake:perpendicular_baseline_m`` (``B_perp(later) - B_perp(earlier)``) when the source gives one.

Every input is read and validated before any product is written: one bad input fails the run (nothing is
published) unless ``skip_bad``, which leaves it out and reports it. Inputs may be folders: their
interferograms are ingested and the coherence, DEM and other rasters in them left out
(:mod:`pges.ingest.inputs`). A wrapped interferogram is refused (``sarlake unwrap`` it).

The product id is ``EXT-<FORMAT>-<source stem>-<later>_<earlier>`` (dates YYYYMMDD), so re-ingesting the same
file gives the same product (kept unless ``overwrite``).
"""

from __future__ import annotations

import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.ingest.config import IngestParameters
from pges.ingest.inputs import WRAPPED, check_aoi, read_all
from pges.metadata import COG_TYPE, AssetSpec, band_letter, bbox_polygon, build_item, write_item
from pges.raster import write_cog
from pges.readers import Interferogram
from pges.readers.coherence import coherence_looked_for
from pges.runner import ProductResult, RunContext
from pges.source_geometry import source_properties, track_of

__all__ = ["WRAPPED", "IngestOutputs", "band_letter", "check_aoi", "product_id", "product_version", "run",
           "write_l2_ifg"]

logger = logging.getLogger(__name__)

SPEED_OF_LIGHT = 299_792_458.0
LOS_SIGN = "positive = motion toward the satellite (range decrease), later date minus earlier date"
PHASE_SIGN = "radians, phase(later) - phase(earlier), positive = range increase (away from the satellite)"
#: inputs read, and products written, at once (threads; at most 4, and no more than the CPUs this process may use)
WRITE_THREADS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@dataclass
class IngestOutputs:
    """Every L2_IFG product of an ingest run (skipped ones included)."""

    products: list[ProductResult] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)  # inputs left out by skip_bad: input, error
    left_out: list[dict[str, str]] = field(default_factory=list)  # a folder's other rasters: input, kind, by (pair_of)


def product_id(ifg: Interferogram, p: IngestParameters) -> str:
    """``EXT-ROIPAC-geo_060619-061002-20061002_20060619`` (mission and track inserted when known)."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", ifg.path.name.split(".")[0]).strip("_") or "ifg"
    parts = ["EXT", ifg.source_format.upper()]
    if p.mission:
        parts.append(re.sub(r"[^A-Za-z0-9]+", "", p.mission).upper())
    track = track_of(ifg, p.track, p.orbit_state)[0]
    if track is not None:
        parts.append(f"T{track:03d}")
    parts += [stem, f"{ifg.reference_date:%Y%m%d}_{ifg.secondary_date:%Y%m%d}"]
    return "-".join(parts)


def product_version(pge_version: str | None, revision: int | None) -> str | None:
    """``0.1.0``, or ``0.1.0.2`` for revision 2: the products' version, which the catalogue tells apart."""
    return pge_version if revision is None or pge_version is None else f"{pge_version}.{revision}"


def _day(d: date) -> str:
    return f"{d.isoformat()}T00:00:00Z"


def write_l2_ifg(ifg: Interferogram, p: IngestParameters, out: Path, provenance: dict[str, Any], pid: str) -> Path:
    """Write the COGs and met.json of one (unwrapped) interferogram into ``out``; return the met.json path."""
    if ifg.unwrapped_phase is None:
        raise InputValidationError(f"{ifg.path.name}: is a wrapped interferogram; unwrap it first (`sarlake unwrap`)")
    nan = float("nan")
    assets = {
        "unwrapped_phase": AssetSpec(
            "unwrapped_phase.tif", COG_TYPE, title=f"unwrapped phase, {PHASE_SIGN}", extra={"sarlake:units": "rad"}
        ),
        "los_displacement": AssetSpec(
            "los_displacement_mm.tif",
            COG_TYPE,
            title=f"LOS displacement, mm, {LOS_SIGN}",
            extra={"sarlake:units": "mm"},
        ),
    }
    write_cog(
        out / "unwrapped_phase.tif",
        ifg.unwrapped_phase.astype(np.float32),
        ifg.transform,
        nodata=nan,
        description="unwrapped_phase",
        units="rad",
    )
    write_cog(
        out / "los_displacement_mm.tif",
        ifg.los_displacement_mm(),
        ifg.transform,
        nodata=nan,
        description="los_displacement",
        units="mm",
    )
    if ifg.coherence is not None:
        write_cog(
            out / "coherence.tif",
            ifg.coherence.astype(np.float32),
            ifg.transform,
            nodata=nan,
            description="coherence",
            units="1",
        )
        assets["coherence"] = AssetSpec(
            "coherence.tif", COG_TYPE, title="coherence, 0..1", extra={"sarlake:units": "1"}
        )
    if ifg.connected_components is not None:
        write_cog(out / "connected_components.tif", ifg.connected_components.astype(np.uint16), ifg.transform,
                  nodata=0, resampling="nearest", description="connected components, 0 = not unwrapped")
        assets["connected_components"] = AssetSpec("connected_components.tif", COG_TYPE, title="connected components")
    if ifg.amplitude is not None:
        write_cog(
            out / "amplitude.tif", ifg.amplitude.astype(np.float32), ifg.transform, nodata=nan, description="amplitude"
        )
        assets["amplitude"] = AssetSpec("amplitude.tif", COG_TYPE, title="amplitude (source units)")

    west, south, east, north = ifg.bbox
    valid = ~ifg.nodata_mask
    unwrapped = valid if ifg.connected_components is None else valid & (ifg.connected_components > 0)
    flags = [] if ifg.coherence is not None else ["no_coherence"]
    coh_mean = float(np.nanmean(ifg.coherence[valid])) if ifg.coherence is not None and valid.any() else None
    properties: dict[str, Any] = {
        "start_datetime": _day(ifg.secondary_date),
        "end_datetime": _day(ifg.reference_date),
        "sarlake:product_type": "L2_IFG",
        "sar:frequency_band": band_letter(ifg.wavelength_m),
        "sar:center_frequency": round(SPEED_OF_LIGHT / ifg.wavelength_m / 1e9, 4),
        "sar:product_type": "UNW",
        "sarlake:reference_date": ifg.reference_date.isoformat(),
        "sarlake:secondary_date": ifg.secondary_date.isoformat(),
        "sarlake:temporal_baseline_days": ifg.temporal_baseline_days,
        "sarlake:coherence_mean": None if coh_mean is None else round(coh_mean, 4),
        "sarlake:unwrapped_fraction": round(float(unwrapped.sum() / max(1, valid.sum())), 4),
        "sarlake:wavelength_m": ifg.wavelength_m,
        "sarlake:wavelength_source": ifg.wavelength_source or None,
        "sarlake:flags": flags,
        "sarlake:version": product_version(provenance.get("pge_version"), p.revision),
        "sarlake:source_format": ifg.source_format,
        "sarlake:source_file": ifg.path.name,
        "sarlake:source_coherence_file": ifg.coherence_path.name if ifg.coherence_path else None,
        "sarlake:phase_sign_convention": PHASE_SIGN,
        "sarlake:los_sign_convention": LOS_SIGN,
        "sarlake:grid": {
            "crs": ifg.crs,
            "shape": list(ifg.shape),
            "transform": [float(v) for v in tuple(ifg.transform)[:6]],
        },
        "sarlake:aoi": p.aoi,
    }
    if p.mission:
        properties["platform"] = p.mission.lower()
    properties.update(source_properties(ifg, track=p.track, orbit_state=p.orbit_state))
    item = build_item(
        product_dir=out,
        item_id=pid,
        geometry=bbox_polygon(west, south, east, north),
        bbox=[west, south, east, north],
        properties=properties,
        assets=assets,
        provenance=provenance,
    )
    return write_item(item, out)


def run(cfg: RunConfig[IngestParameters], ctx: RunContext) -> IngestOutputs:
    """Ingest every input of the run-config into an L2_IFG product (all validated before any is written)."""
    if not cfg.inputs:
        raise InputValidationError("ingest needs at least one input interferogram (inputs: [...])")
    outputs = IngestOutputs()
    # GDAL reads and compresses outside the GIL: inputs are read, and products written, on threads; the first
    # error stops the run (remaining work is cancelled) and nothing is published until every product is
    # written (pges.runner.execute)
    pool = ThreadPoolExecutor(max_workers=WRITE_THREADS)
    try:
        return _ingest(cfg, ctx, outputs, pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ingest(cfg: RunConfig[IngestParameters], ctx: RunContext, outputs: IngestOutputs,
            pool: ThreadPoolExecutor) -> IngestOutputs:
    """Read and check every input, then write the products (on ``pool``) into the staging folder."""
    p = cfg.parameters
    read = read_all(cfg, ctx, outputs, pool)
    seen: set[str] = set()
    for _, ifg, _ in read:
        pid = product_id(ifg, p)
        if pid in seen:
            raise InputValidationError(f"{ifg.path.name}: two inputs make the same product {pid}")
        seen.add(pid)
    staged: list[tuple[str, Interferogram, str, Path, dict[str, Any]] | ProductResult] = []  # input order
    for uri, ifg, coherence in read:
        pid = product_id(ifg, p)
        if not p.overwrite and ctx.publisher.exists(pid):
            logger.info("%s already exists: kept (give --replace to re-ingest it)", pid)
            staged.append(ProductResult(pid, None, skipped=True))
            continue
        if ifg.coherence is None:
            logger.warning("%s: no coherence given or found (%s); product %s is flagged no_coherence", ifg.path.name,
                           coherence_looked_for(ifg, cfg.parameters.coherence_dirs), pid)
        prov = ctx.provenance(cfg)
        prov["inputs"] = [uri] + [c for c in (coherence,) if c is not None and c != uri]
        staged.append((uri, ifg, pid, ctx.product_dir(pid), prov))

    def write(job: tuple[str, Interferogram, str, Path, dict[str, Any]] | ProductResult) -> ProductResult:
        if isinstance(job, ProductResult):
            return job
        _, ifg, pid, out, prov = job
        write_l2_ifg(ifg, p, out, prov, pid)
        logger.info("ingested %s -> %s", ifg.path.name, pid)
        return ProductResult(pid, out)

    outputs.products += list(pool.map(write, staged))
    return outputs
