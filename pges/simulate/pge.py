"""The ``simulate`` PGE: write one SLC product per acquisition (skipping those already published).

Product layout (``<output_dir>/<id>/``): ``slc.tif`` (complex64, radar grid), ``lat.tif``/``lon.tif``
(float64 lookups), ``dem.tif`` (float32 heights on the radar grid, m), ``truth/`` and ``<id>.met.json``
(``sarlake:product_type`` L1_SLC).

Truth (float32 radar-grid rasters; delays one-way LOS in mm, displacement + towards the satellite):
``phase_rad.tif`` (total true phase; a pair's true unwrapped phase is ``phase_rad(ref) - phase_rad(sec)``),
``deformation_los_mm.tif``, ``atmosphere_los_mm.tif`` (troposphere), ``ionosphere_los_mm.tif``,
``orbit_los_mm.tif``, ``dem_error_los_mm.tif`` (``B_perp dz / (R sin theta)``), ``dem_error_m.tif`` (the
frame's DEM error ``dz``), ``artefact_phase_rad.tif`` (phase of the injected geophysical artefacts),
``long_term_coherence.tif`` (``gamma_inf`` per pixel, 0 on water) and ``artefacts/<TYPE>_mask.tif``
(uint8) for each artefact type configured on the date. Properties ``sarlake:artefacts``
(``[{type, intensity, mask, fraction}]``) and ``sarlake:decorrelation`` (the date's time bin and spectral
shift, from which ``pges.simulate.decorrelation.expected_coherence`` gives any pair's coherence).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from pges.contract import RunConfig
from pges.dem import load_dem, sample
from pges.errors import InputValidationError
from pges.metadata import AssetSpec, band_letter, build_item, footprint_polygon, iso_utc, write_item
from pges.raster import write_radar
from pges.runner import ProductResult, RunContext
from pges.simulate.config import BAND_DEFAULTS, Acquisition, SimulateParameters
from pges.simulate.geometry import RadarGrid, grid_for_bbox
from pges.simulate.scene import common_scene, simulate_date

__all__ = ["SimulateOutputs", "run"]

logger = logging.getLogger(__name__)

SLC_DURATION_S = 27.0
SPEED_OF_LIGHT = 299_792_458.0


@dataclass
class SimulateOutputs:
    """Every product of a simulate run (skipped ones included)."""

    products: list[ProductResult] = field(default_factory=list)


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


class _Frame:
    """Grid, lookups, DEM and common scene of the frame: computed once, only if a date needs them."""

    def __init__(self, p: SimulateParameters) -> None:
        heading = p.heading_deg if p.heading_deg is not None else (-10.0 if p.direction == "A" else 190.0)
        self.grid: RadarGrid = grid_for_bbox(p.bbox, heading, p.posting_m, p.incidence_deg)
        self.lon, self.lat = self.grid.lonlat()
        footprint = (float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max()))
        dem = load_dem(footprint, p.dem)
        self.dem = sample(dem, self.lon, self.lat)
        if not np.isfinite(self.dem).all():
            raise InputValidationError(f"DEM {dem.source} does not cover the radar grid; pass parameters.dem=PATH")
        self.dem_source = dem.source
        self.scene = common_scene(p, self.grid, self.dem)
        logger.info("radar grid %dx%d at %.0f m, heading %.1f deg", *self.grid.shape, p.posting_m, heading)


def _write_product(p: SimulateParameters, acq: Acquisition, frame: _Frame, out: Path, prov: dict[str, Any]) -> None:
    start = _utc(acq.start_time)
    scene = simulate_date(p, frame.scene, start)
    write_radar(out / "slc.tif", scene.slc)
    write_radar(out / "lat.tif", frame.lat)
    write_radar(out / "lon.tif", frame.lon)
    write_radar(out / "dem.tif", frame.dem)
    truth = out / "truth"
    truth.mkdir()
    write_radar(truth / "deformation_los_mm.tif", scene.deformation_los_mm)
    write_radar(truth / "phase_rad.tif", scene.phase_rad)
    write_radar(truth / "atmosphere_los_mm.tif", scene.atmosphere_los_mm)
    write_radar(truth / "ionosphere_los_mm.tif", scene.ionosphere_los_mm)
    write_radar(truth / "orbit_los_mm.tif", scene.orbit_los_mm)
    write_radar(truth / "dem_error_los_mm.tif", scene.dem_error_los_mm)
    write_radar(truth / "dem_error_m.tif", frame.scene.dem_error_m)
    write_radar(truth / "artefact_phase_rad.tif", scene.artefact_phase_rad)
    write_radar(truth / "long_term_coherence.tif", frame.scene.decorrelation.gamma_inf)
    artefacts = []
    if scene.artefacts:
        (truth / "artefacts").mkdir()
    for kind, (mask, intensity) in sorted(scene.artefacts.items()):
        write_radar(truth / "artefacts" / f"{kind}_mask.tif", mask)
        artefacts.append({"type": kind, "intensity": intensity, "mask": f"truth/artefacts/{kind}_mask.tif",
                          "fraction": round(float(mask.mean()), 6)})
    _, _, platform, constellation, mode = BAND_DEFAULTS[p.band]

    g = frame.grid
    corners = [(0, 0), (0, g.cols - 1), (g.rows - 1, g.cols - 1), (g.rows - 1, 0)]
    lon_c = [float(frame.lon[r, c]) for r, c in corners]
    lat_c = [float(frame.lat[r, c]) for r, c in corners]
    if sum((lon_c[i] * lat_c[(i + 1) % 4] - lon_c[(i + 1) % 4] * lat_c[i]) for i in range(4)) < 0:
        lon_c, lat_c = lon_c[::-1], lat_c[::-1]  # GeoJSON exterior rings are counter-clockwise
    properties = {
        "datetime": iso_utc(start),
        "start_datetime": iso_utc(start),
        "end_datetime": iso_utc(start + timedelta(seconds=SLC_DURATION_S)),
        "sarlake:product_type": "L1_SLC",
        "platform": platform,
        "constellation": constellation,
        "sar:instrument_mode": mode,
        "sar:frequency_band": band_letter(p.wavelength),
        "sar:center_frequency": round(SPEED_OF_LIGHT / p.wavelength / 1e9, 4),
        "sar:polarizations": ["VV"],
        "sar:product_type": "SLC",
        "sat:relative_orbit": p.track,
        "sat:orbit_state": "ascending" if p.direction == "A" else "descending",
        "sarlake:frame": p.frame,
        "sarlake:aoi": p.aoi,
        "sarlake:acquisition_date": start.date().isoformat(),
        "sarlake:perpendicular_baseline_m": scene.perpendicular_baseline_m,
        "sarlake:wavelength_m": p.wavelength,
        "sarlake:artefacts": artefacts,
        "sarlake:decorrelation": scene.decorrelation,
        "sarlake:grid": g.to_dict(),
        "sarlake:simulated": True,
        "sarlake:seed": p.seed,
        "sarlake:dem_source": Path(frame.dem_source).name,
    }
    item = build_item(
        product_dir=out,
        item_id=acq.id,
        geometry=footprint_polygon(lon_c, lat_c),
        bbox=[min(lon_c), min(lat_c), max(lon_c), max(lat_c)],
        properties=properties,
        assets={
            "slc": AssetSpec("slc.tif", title="SLC, complex64, radar grid (rows azimuth, cols range)"),
            "lat": AssetSpec("lat.tif", roles=("metadata",), title="latitude lookup, degrees"),
            "lon": AssetSpec("lon.tif", roles=("metadata",), title="longitude lookup, degrees"),
            "dem": AssetSpec("dem.tif", roles=("metadata",), title="DEM heights on the radar grid, m"),
            "truth": AssetSpec("truth", roles=("truth",), title="simulator truth rasters"),
        },
        provenance=prov,
    )
    write_item(item, out)


def run(cfg: RunConfig[SimulateParameters], ctx: RunContext) -> SimulateOutputs:
    """Simulate every acquisition of the run-config that is not yet in ``output_dir``."""
    p = cfg.parameters
    outputs = SimulateOutputs()
    frame: _Frame | None = None
    for acq in p.acquisitions:
        if ctx.publisher.exists(acq.id):
            logger.info("%s already exists: skipped", acq.id)
            outputs.products.append(ProductResult(acq.id, None, skipped=True))
            continue
        if frame is None:
            frame = _Frame(p)
        out = ctx.product_dir(acq.id)
        _write_product(p, acq, frame, out, ctx.provenance(cfg))
        outputs.products.append(ProductResult(acq.id, out))
        logger.info("simulated %s", acq.id)
    return outputs
