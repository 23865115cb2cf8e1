"""One simulated acquisition as arrays: SLC, true phase and its components, artefact masks.

Signal model (SLC phase convention ``exp(+j 4 pi r / lambda)``, so an interferogram ``ref * conj(sec)``
has phase ``-4 pi / lambda * (d_ref - d_sec)`` for LOS displacement ``d`` towards the satellite)::

    phi_i = -4 pi / lambda * d_los(t_i)                        deformation (m, + towards the satellite)
            + 4 pi / lambda * (tau_trop,i + tau_iono,i + tau_orb,i + tau_dem,i)   one-way LOS delays (m)
            + artefact phase (TNS, TNT, ION, ORB, DME, UWE; see ``artefacts``)
    tau_trop,i = turbulent power-law screen + k_i (h - h_ref) / cos(theta)    (seeded from the date)
    tau_iono,i = -40.28 TEC_i / f^2 / cos(theta)               TEC_i a steep power-law screen (date)
    tau_orb,i  = a_i az + b_i rg                                a plane per date
    tau_dem,i  = B_perp,i * dz / (R sin(theta))                 dz a DEM-error field fixed per frame
    slc_i = sqrt(sigma0) * f_i * exp(j phi_i), then the data corruptions (PML, PMR, PCE, RFI, COH)

``f_i`` is the unit-power scattering field of ``pges.simulate.decorrelation`` (temporal, geometric and
land-cover decorrelation; ``noise.coherence = 1`` makes it the same for every date). ``sigma0`` is a
terrain-shaded reflectivity from the DEM slope towards the radar (dark water with land cover on).
The pair truth is ``phase_rad(ref) - phase_rad(sec)``: exactly the interferogram phase when noise free.
Nothing here depends on which other dates are simulated: each random field is keyed by (seed, frame,
track, direction, grid, date or time bin, what).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from pges.simulate.artefacts import ORDER, ArtefactContext, inject
from pges.simulate.config import SimulateParameters
from pges.simulate.decorrelation import FrameDecorrelation, frame_decorrelation
from pges.simulate.deformation import DAYS_PER_YEAR, DEFORMATION_EPOCH, DeformationModel, deformation_model
from pges.simulate.geometry import RadarGrid
from pges.simulate.screens import SPEED_OF_LIGHT, ionospheric_delay, plane, powerlaw_screen, stratified_delay
from pges.simulate.seeds import rng_for

__all__ = [
    "DAYS_PER_YEAR",
    "DEFORMATION_EPOCH",
    "FrameScene",
    "Scene",
    "common_scene",
    "perpendicular_baseline",
    "simulate_date",
]


@dataclass
class Scene:
    """Arrays of one acquisition on the radar grid (delays are one-way LOS, mm; float32 unless noted)."""

    slc: np.ndarray  # complex64
    phase_rad: np.ndarray  # true phase (no speckle/noise/corruption), rad
    deformation_los_mm: np.ndarray  # + towards the satellite, since DEFORMATION_EPOCH
    atmosphere_los_mm: np.ndarray  # troposphere: turbulent + stratified
    ionosphere_los_mm: np.ndarray  # phase delay (negative = advance)
    orbit_los_mm: np.ndarray
    dem_error_los_mm: np.ndarray  # B_perp dz / (R sin theta)
    artefact_phase_rad: np.ndarray  # the geophysical artefacts' phase (part of phase_rad)
    perpendicular_baseline_m: float
    artefacts: dict[str, tuple[np.ndarray, int]] = field(default_factory=dict)  # type -> (uint8 mask, intensity)
    decorrelation: dict[str, object] = field(default_factory=dict)
    #: pixels whose scattering an artefact replaced entirely with independent speckle (UWE's moat, COH at
    #: intensity 3): no coherence with any other date there, whatever ``expected_coherence`` says (None: none)
    decorrelated: np.ndarray | None = None


@dataclass
class FrameScene:
    """What every date of a frame shares (computed once per run)."""

    grid: RadarGrid
    dem: np.ndarray  # float64 heights on the grid, m
    sigma0: np.ndarray  # float32
    deformation: DeformationModel
    decorrelation: FrameDecorrelation
    dem_error_m: np.ndarray  # float32, zeros when off
    h_ref_m: float


def _key(p: SimulateParameters) -> tuple[object, ...]:
    return (p.seed, p.frame, p.track, p.direction)


def common_scene(p: SimulateParameters, grid: RadarGrid, dem: np.ndarray) -> FrameScene:
    """Reflectivity, deformation fields, DEM error and decorrelation state shared by every date of the frame."""
    dem = dem.astype(np.float64)
    key = (*_key(p), grid.grid_id)
    # slope of the terrain towards the radar (columns run away from it): facing slopes are bright
    slope = np.gradient(dem, grid.posting_m, axis=1)
    theta = np.deg2rad(grid.incidence())[None, :]
    local = np.clip(np.cos(theta + np.arctan(slope)), 0.05, 1.0)
    sigma0 = (local / np.cos(theta)) ** 2
    decor = frame_decorrelation(p, grid, dem, key)
    if decor.water.any():
        sigma0 = np.where(decor.water, 0.05 * sigma0, sigma0)  # calm water scatters little back
    dz = np.zeros(grid.shape, dtype=np.float32)
    if p.dem_error.std_m > 0:
        dz = (p.dem_error.std_m * powerlaw_screen(grid.shape, grid.posting_m, 8.0 / 3.0, p.dem_error.outer_scale_m,
                                                  rng_for(*key, "dem_error"))).astype(np.float32)
    return FrameScene(grid=grid, dem=dem, sigma0=sigma0.astype(np.float32),
                      deformation=deformation_model(grid, p.deformation), decorrelation=decor,
                      dem_error_m=dz, h_ref_m=float(np.median(dem)))


def perpendicular_baseline(p: SimulateParameters, day: date) -> float:
    """Perpendicular baseline (m) of the date to the frame's fixed reference orbit (a seeded normal draw)."""
    return float(round(rng_for(*_key(p), day.isoformat(), "baseline").normal(0.0, p.baseline_sigma_m), 3))


def _delays(p: SimulateParameters, frame: FrameScene, day: date, bperp: float):
    """One-way LOS delays (m) of the date: troposphere, ionosphere, orbit, DEM error."""
    grid = frame.grid
    inc = grid.incidence()[None, :]
    dkey = (*_key(p), grid.grid_id, day.isoformat())
    a = p.atmosphere
    zero = np.zeros(grid.shape)
    trop = zero
    if a.turbulence_mm > 0:
        screen = powerlaw_screen(grid.shape, grid.posting_m, a.beta, a.outer_scale_m, rng_for(*dkey, "troposphere"))
        trop = screen * (a.turbulence_mm / 1000.0)
    if a.stratified_mm_per_km > 0:
        k = rng_for(*dkey, "stratified").normal(0.0, a.stratified_mm_per_km) * 1e-6  # m per m of height
        trop = trop + stratified_delay(frame.dem, k, frame.h_ref_m, inc)
    iono = zero
    if a.ionosphere_tecu > 0:
        tec = a.ionosphere_tecu * powerlaw_screen(grid.shape, grid.posting_m, a.ionosphere_beta,
                                                  a.ionosphere_outer_scale_m, rng_for(*dkey, "ionosphere"))
        iono = ionospheric_delay(tec, SPEED_OF_LIGHT / p.wavelength, inc)
    orb = zero
    if p.orbit.ramp_mm_per_km > 0:
        g = rng_for(*dkey, "orbit").normal(0.0, p.orbit.ramp_mm_per_km, size=2) * 1e-6  # m per m
        orb = plane(grid.shape, grid.posting_m, g[0], g[1])
    dem_err = zero
    if p.dem_error.std_m > 0:
        r = grid.slant_range()[None, :]
        dem_err = bperp * frame.dem_error_m.astype(np.float64) / (r * np.sin(np.deg2rad(inc)))
    return trop, iono, orb, dem_err


def simulate_date(p: SimulateParameters, frame: FrameScene, start_time: datetime) -> Scene:
    """Simulate the acquisition of ``start_time``'s date; depends only on the frame, the date and the seed."""
    grid = frame.grid
    day = start_time.date()
    k = 4.0 * np.pi / p.wavelength
    d_los = frame.deformation.los_m(start_time)
    bperp = perpendicular_baseline(p, day)
    trop, iono, orb, dem_err = _delays(p, frame, day, bperp)
    phase = -k * d_los + k * (trop + iono + orb + dem_err)
    amplitude = np.sqrt(frame.sigma0.astype(np.float64))
    slc = (amplitude * frame.decorrelation.date_field(day, bperp) * np.exp(1j * phase)).astype(np.complex64)

    # artefacts configured for this date, geophysical first; same type twice = masks or'ed, max intensity
    todo = [(i, a) for i, a in enumerate(p.artefacts) if a.date is None or a.date == day]
    todo.sort(key=lambda ia: ORDER.index(ia[1].type))
    ctx = ArtefactContext(grid.shape, grid.posting_m, frame.dem)
    masks: dict[str, tuple[np.ndarray, int]] = {}
    phase_before = phase.copy()
    for index, art in todo:
        rng = rng_for(*_key(p), grid.grid_id, day.isoformat(), "artefact", art.type, index)
        phase, slc, mask = inject(art.type, phase, slc, amplitude, art.intensity, rng, ctx)
        old_mask, old_int = masks.get(art.type, (np.zeros(grid.shape, dtype=bool), 0))
        masks[art.type] = (old_mask | mask, max(old_int, art.intensity))
    artefact_phase = phase - phase_before

    return Scene(
        slc=slc.astype(np.complex64),
        phase_rad=phase.astype(np.float32),
        deformation_los_mm=(d_los * 1000.0).astype(np.float32),
        atmosphere_los_mm=(np.broadcast_to(trop, grid.shape) * 1000.0).astype(np.float32),
        ionosphere_los_mm=(np.broadcast_to(iono, grid.shape) * 1000.0).astype(np.float32),
        orbit_los_mm=(np.broadcast_to(orb, grid.shape) * 1000.0).astype(np.float32),
        dem_error_los_mm=(np.broadcast_to(dem_err, grid.shape) * 1000.0).astype(np.float32),
        artefact_phase_rad=artefact_phase.astype(np.float32),
        perpendicular_baseline_m=bperp,
        artefacts={t: (m.astype(np.uint8), i) for t, (m, i) in masks.items()},
        decorrelation=frame.decorrelation.info(day, bperp),
        decorrelated=ctx.decorrelated,
    )
