"""The ``ingest`` PGE: write one L2_IFG product per external interferogram.

Product layout (``<output_dir>/<id>/``), all COGs on the source's EPSG:4326 grid, NaN = no data:

* ``unwrapped_phase.tif`` radians, ``phi(later) - phi(earlier)``, positive = range increase;
* ``los_displacement_mm.tif`` ``-phase * wavelength / (4 pi)`` in mm, POSITIVE = TOWARD the satellite;
* ``coherence.tif`` (0..1) and ``amplitude.tif`` when the source has them;
* ``<id>.met.json`` with ``sarlake:product_type`` L2_IFG and ``sarlake:source_format``.

The product id is ``EXT-<FORMAT>-<source stem>-<later>_<earlier>`` (dates YYYYMMDD), so re-ingesting the same
file gives the same product (kept unless ``overwrite``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.ingest.config import IngestParameters
from pges.metadata import COG_TYPE, AssetSpec, band_letter, bbox_polygon, build_item, write_item
from pges.raster import write_cog
from pges.readers import Interferogram, dates_from_name, read_interferogram
from pges.runner import ProductResult, RunContext
from pges.storage import is_s3

__all__ = ["IngestOutputs", "band_letter", "product_id", "run", "write_l2_ifg"]

logger = logging.getLogger(__name__)

SPEED_OF_LIGHT = 299_792_458.0
LOS_SIGN = "positive = motion toward the satellite (range decrease), later date minus earlier date"
PHASE_SIGN = "radians, phase(later) - phase(earlier), positive = range increase (away from the satellite)"
_SIDECARS = (".rsc", ".par", ".dem_par", ".diff_par")


@dataclass
class IngestOutputs:
    """Every L2_IFG product of an ingest run (skipped ones included)."""

    products: list[ProductResult] = field(default_factory=list)


def product_id(ifg: Interferogram, p: IngestParameters) -> str:
    """``EXT-ROIPAC-geo_060619-061002-20061002_20060619`` (mission and track inserted when given)."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", ifg.path.name.split(".")[0]).strip("_") or "ifg"
    parts = ["EXT", ifg.source_format.upper()]
    if p.mission:
        parts.append(re.sub(r"[^A-Za-z0-9]+", "", p.mission).upper())
    if p.track is not None:
        parts.append(f"T{p.track:03d}")
    parts += [stem, f"{ifg.reference_date:%Y%m%d}_{ifg.secondary_date:%Y%m%d}"]
    return "-".join(parts)


def _day(d: date) -> str:
    return f"{d.isoformat()}T00:00:00Z"


def write_l2_ifg(ifg: Interferogram, p: IngestParameters, out: Path, provenance: dict[str, Any], pid: str) -> Path:
    """Write the COGs and met.json of one interferogram into ``out``; return the met.json path."""
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
    if ifg.amplitude is not None:
        write_cog(
            out / "amplitude.tif", ifg.amplitude.astype(np.float32), ifg.transform, nodata=nan, description="amplitude"
        )
        assets["amplitude"] = AssetSpec("amplitude.tif", COG_TYPE, title="amplitude (source units)")

    west, south, east, north = ifg.bbox
    valid = ~ifg.nodata_mask
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
        "sarlake:unwrapped_fraction": round(float(valid.mean()), 4),
        "sarlake:wavelength_m": ifg.wavelength_m,
        "sarlake:version": provenance.get("pge_version"),
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
    if p.track is not None:
        properties["sat:relative_orbit"] = p.track
    if p.orbit_state:
        properties["sat:orbit_state"] = p.orbit_state
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


def _local_input(uri: str, ctx: RunContext) -> Path:
    """Local path of an input; for ``s3://`` also download the sidecar headers that exist beside it."""
    path = ctx.fetch(uri)
    if is_s3(uri):
        for suffix in _SIDECARS:
            try:
                ctx.fetch(uri + suffix)
            except InputValidationError:
                continue
    return path


def _explicit_coherence(p: IngestParameters, ctx: RunContext, n_inputs: int) -> dict[frozenset[date], Path] | Path:
    """Explicit coherence files keyed by their date pair (or the single file when there is one input)."""
    by_dates: dict[frozenset[date], Path] = {}
    for uri in p.coherence:
        path = ctx.fetch(uri)
        dates = dates_from_name(path.name)
        if dates is None:
            if n_inputs == 1 and len(p.coherence) == 1:
                return path
            raise InputValidationError(f"{path.name}: no dates in the coherence file name to pair it with an input")
        by_dates[frozenset(dates)] = path
    return by_dates


def run(cfg: RunConfig[IngestParameters], ctx: RunContext) -> IngestOutputs:
    """Ingest every input of the run-config into an L2_IFG product."""
    p = cfg.parameters
    if not cfg.inputs:
        raise InputValidationError("ingest needs at least one input interferogram (inputs: [...])")
    coherence = _explicit_coherence(p, ctx, len(cfg.inputs))
    outputs = IngestOutputs()
    seen: set[str] = set()
    for uri in cfg.inputs:
        path = _local_input(uri, ctx)
        coh: Path | None = coherence if isinstance(coherence, Path) else None
        if isinstance(coherence, dict) and coherence:
            named = dates_from_name(path.name)
            coh = coherence.get(frozenset(named)) if named else None
        ifg = read_interferogram(
            path,
            source_format=p.source_format,
            coherence=coh,
            coherence_dirs=p.coherence_dirs,
            wavelength_m=p.wavelength_m,
        )
        pid = product_id(ifg, p)
        if pid in seen:
            raise InputValidationError(f"{path.name}: two inputs make the same product {pid}")
        seen.add(pid)
        if not p.overwrite and ctx.publisher.exists(pid):
            logger.info("%s already exists: skipped", pid)
            outputs.products.append(ProductResult(pid, None, skipped=True))
            continue
        out = ctx.product_dir(pid)
        prov = ctx.provenance(cfg)
        prov["inputs"] = [uri] + [str(s) for s in (ifg.coherence_path,) if s is not None]
        write_l2_ifg(ifg, p, out, prov, pid)
        outputs.products.append(ProductResult(pid, out))
        logger.info("ingested %s -> %s", path.name, pid)
    return outputs
