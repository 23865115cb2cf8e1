"""Parameters of the ``simulate`` PGE (pydantic only: cheap to import)."""

from __future__ import annotations

import datetime as dt
import math
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Tag, field_validator, model_validator

from pges.contract import PGEParameters, tag_with_default
from pges.storage import ID_PATTERN

__all__ = [
    "ARTEFACT_TYPES",
    "Acquisition",
    "Artefact",
    "AtmosphereConfig",
    "BAND_DEFAULTS",
    "DemErrorConfig",
    "DeformationSource",
    "GaussianBowl",
    "MogiSource",
    "NoiseConfig",
    "OkadaSource",
    "OrbitConfig",
    "SimulateParameters",
]

C_BAND_WAVELENGTH_M = 0.05546576  # Sentinel-1, 5.405 GHz
L_BAND_WAVELENGTH_M = 0.2384  # NISAR, 1.2575 GHz
# band -> (wavelength m, range bandwidth Hz, platform, constellation, instrument mode)
BAND_DEFAULTS: dict[str, tuple[float, float, str, str, str]] = {
    "C": (C_BAND_WAVELENGTH_M, 48.3e6, "sentinel-1a", "sentinel-1", "IW"),  # IW2 range bandwidth
    "L": (L_BAND_WAVELENGTH_M, 20.0e6, "nisar", "nisar", "SM"),  # NISAR 20 MHz science mode
}
#: QA tag types of ARIA (Sentinel-1 GUNW) products the simulator can inject, each at intensity 0-3.
ARTEFACT_TYPES = ("UWE", "TNS", "TNT", "ION", "ORB", "DME", "PML", "PMR", "PCE", "RFI", "COH")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Acquisition(_Strict):
    """One simulated acquisition; its content depends only on (frame, track, direction, date, seed)."""

    id: str = Field(..., pattern=ID_PATTERN, description="Product id (folder name): letters, digits, '._:+-'.")
    start_time: datetime = Field(..., description="Sensing start, ISO 8601 (UTC when no zone is given).")


class GaussianBowl(_Strict):
    """Vertical displacement ``rate * exp(-r^2 / (2 sigma^2))`` growing linearly in time."""

    kind: Literal["gaussian"] = Field("gaussian", description="Source type.")
    rate_mm_per_yr: float = Field(-40.0, description="Vertical rate at the centre, mm/yr (negative = subsidence).")
    sigma_m: float = Field(2500.0, gt=0, description="Gaussian width (1 sigma), metres.")
    center_lon: float | None = Field(None, ge=-180, le=180, description="Centre longitude; None = AOI centre.")
    center_lat: float | None = Field(None, ge=-90, le=90, description="Centre latitude; None = AOI centre.")


class MogiSource(_Strict):
    """Mogi (1958) point pressure source in an elastic half-space; volume change grows linearly in time."""

    kind: Literal["mogi"] = Field("mogi", description="Source type.")
    volume_rate_m3_per_yr: float = Field(2.0e6, description="Volume change rate, m^3/yr (positive = inflation).")
    depth_m: float = Field(3000.0, gt=0, description="Source depth below the surface, metres.")
    poisson: float = Field(0.25, gt=0, lt=0.5, description="Poisson ratio of the half-space.")
    center_lon: float | None = Field(None, ge=-180, le=180, description="Centre longitude; None = AOI centre.")
    center_lat: float | None = Field(None, ge=-90, le=90, description="Centre latitude; None = AOI centre.")


class OkadaSource(_Strict):
    """Okada (1985) rectangular dislocation: an earthquake, a step at ``event_time`` (coseismic only).

    Give either ``magnitude`` (fault length and width from Wells & Coppersmith 1994 for the mechanism,
    slip from ``M0 = mu L W D`` with mu = 30 GPa) or all of ``length_m``, ``width_m`` and ``slip_m``;
    explicit values override the scaling law. ``rake_deg``/``dip_deg`` default to the mechanism's
    (strike-slip 0/90, reverse 90/30, normal -90/60). Pairs whose dates span ``event_time`` see the full
    coseismic displacement; pairs on one side of it see none.
    """

    kind: Literal["okada"] = Field("okada", description="Source type.")
    event_time: datetime = Field(..., description="Origin time of the earthquake, ISO 8601 (UTC when no zone).")
    magnitude: float | None = Field(None, ge=4.0, le=9.5, description="Moment magnitude Mw (scaling-law fault).")
    mechanism: Literal["strike-slip", "reverse", "normal"] = Field(
        "strike-slip", description="Faulting style: picks the scaling law and the default rake and dip."
    )
    strike_deg: float = Field(0.0, ge=-360, le=360, description="Strike, clockwise from north; dips to its right.")
    dip_deg: float | None = Field(None, gt=0, le=90, description="Dip, degrees; None = the mechanism's default.")
    rake_deg: float | None = Field(
        None, ge=-180, le=180, description="Rake (0 left-lateral, 180 right-lateral, 90 reverse, -90 normal)."
    )
    depth_m: float | None = Field(
        None, gt=0, description="Centroid depth, m; None = 10 km, or deeper so the top edge is >= 1 km down."
    )
    length_m: float | None = Field(None, gt=0, description="Length along strike, m; None = from magnitude.")
    width_m: float | None = Field(None, gt=0, description="Width down dip, m; None = from magnitude.")
    slip_m: float | None = Field(None, description="Slip, m; None = from magnitude.")
    opening_m: float = Field(0.0, description="Tensile opening, m (dikes).")
    poisson: float = Field(0.25, gt=0, lt=0.5, description="Poisson ratio of the half-space.")
    center_lon: float | None = Field(
        None, ge=-180, le=180, description="Longitude of the centroid's surface projection; None = AOI centre."
    )
    center_lat: float | None = Field(
        None, ge=-90, le=90, description="Latitude of the centroid's surface projection; None = AOI centre."
    )

    @model_validator(mode="after")
    def _geometry(self) -> OkadaSource:
        if self.magnitude is None and None in (self.length_m, self.width_m, self.slip_m):
            raise ValueError("okada source needs magnitude, or all of length_m, width_m and slip_m")
        length, width, _slip, dip, _rake, depth = self.resolved()
        top = depth - width / 2 * math.sin(math.radians(dip))
        if top < 0:
            raise ValueError(f"okada fault breaks the surface (top edge {top:.0f} m above it): increase depth_m")
        return self

    def resolved(self) -> tuple[float, float, float, float, float, float]:
        """``(length_m, width_m, slip_m, dip_deg, rake_deg, depth_m)`` with the scaling-law defaults filled."""
        from pges.simulate.okada import MECHANISM_DEFAULTS, wells_coppersmith

        rake0, dip0 = MECHANISM_DEFAULTS[self.mechanism]
        dip = self.dip_deg if self.dip_deg is not None else dip0
        rake = self.rake_deg if self.rake_deg is not None else rake0
        if self.magnitude is not None:
            length, width, slip = wells_coppersmith(self.magnitude, self.mechanism)
        else:
            length = width = slip = 0.0
        length = self.length_m if self.length_m is not None else length
        width = self.width_m if self.width_m is not None else width
        slip = self.slip_m if self.slip_m is not None else slip
        if self.depth_m is not None:
            depth = self.depth_m
        else:
            depth = max(10_000.0, 1000.0 + width / 2 * float(math.sin(math.radians(dip))))
        return float(length), float(width), float(slip), float(dip), float(rake), float(depth)

    @classmethod
    def from_magnitude(
        cls,
        magnitude: float,
        mechanism: Literal["strike-slip", "reverse", "normal"],
        event_time: datetime,
        **kw: object,
    ) -> OkadaSource:
        """An Okada source sized by Wells & Coppersmith (1994) for ``magnitude`` and ``mechanism``."""
        return cls(magnitude=magnitude, mechanism=mechanism, event_time=event_time, **kw)  # type: ignore[arg-type]


DeformationSource = Annotated[
    Annotated[GaussianBowl, Tag("gaussian")]
    | Annotated[MogiSource, Tag("mogi")]
    | Annotated[OkadaSource, Tag("okada")],
    tag_with_default("kind", "gaussian"),
]


class AtmosphereConfig(_Strict):
    """Per-date propagation delays, each seeded from the date: troposphere (turbulent, stratified), ionosphere.

    Typical values: turbulence 3-10 mm, stratification 2-10 mm/km of height, ionosphere 0.05-1 TECU over
    a frame at mid latitudes (more near the equator and at solar maximum).
    """

    turbulence_mm: float = Field(3.0, ge=0, description="Standard deviation of the one-way turbulent LOS delay, mm.")
    beta: float = Field(8.0 / 3.0, gt=0, lt=4, description="Power-law exponent of the 2-D spectrum (Kolmogorov 8/3).")
    outer_scale_m: float = Field(20000.0, gt=0, description="Outer scale (low-frequency roll-off), metres.")
    stratified_mm_per_km: float = Field(
        0.0, ge=0, description="Std across dates of k in the delay k (h - h_ref), mm/km; 0 = off."
    )
    ionosphere_tecu: float = Field(
        0.0, ge=0, description="Std of the per-date TEC screen over the frame, TECU (1e16 el/m^2); 0 = off."
    )
    ionosphere_beta: float = Field(
        11.0 / 3.0, gt=0, lt=4.5, description="Power-law exponent of the TEC screen (steep = long wavelength)."
    )
    ionosphere_outer_scale_m: float = Field(200_000.0, gt=0, description="Outer scale of the TEC screen, metres.")


class OrbitConfig(_Strict):
    """Orbit errors: a plane (azimuth and range gradient) per date, seeded from the date."""

    ramp_mm_per_km: float = Field(
        0.0, ge=0, description="Std of each gradient of the per-date LOS ramp, mm/km; 0 = off (typical 0.1-1)."
    )


class DemErrorConfig(_Strict):
    """A DEM error field fixed per frame; its phase scales with each date's perpendicular baseline."""

    std_m: float = Field(0.0, ge=0, description="Std of the DEM error (height, m); 0 = off (typical 2-20).")
    outer_scale_m: float = Field(1000.0, gt=0, description="Outer scale of the (power-law, beta 8/3) error field, m.")


class NoiseConfig(_Strict):
    """Decorrelation: temporal (towards a long-term coherence), geometric (baseline), land cover.

    ``coherence = 1`` is the noise-free simulator: no decorrelation of any kind (the SLC phase is exactly
    the true phase), whatever the other fields say. Otherwise a pair (i, j) of land pixels has the
    expected coherence ``(1 - |dB|/B_c) * (g + (1 - g) rho_t(dt))``, ``g`` the long-term coherence of
    the pixel, ``rho_t ~ exp(-dt / tau)`` (see ``pges.simulate.decorrelation``).
    """

    coherence: float = Field(
        0.85, gt=0, le=1, description="Long-term coherence of land (gamma_inf); 1 = noise free."
    )
    tau_days: float = Field(
        24.0, gt=0, description="Temporal decorrelation time: gamma_t = g + (1 - g) exp(-dt / tau), days."
    )
    geometric: bool = Field(True, description="Geometric (baseline) decorrelation 1 - |dB_perp| / B_crit.")
    critical_baseline_m: float | None = Field(
        None, gt=0, description="Critical baseline, m; None = lambda R tan(theta) B_range / c at the grid centre."
    )
    landcover: bool = Field(
        False, description="Water (DEM <= 0) decorrelates fully; vegetated patches have vegetation_coherence."
    )
    vegetation_coherence: float = Field(
        0.3, ge=0, le=1, description="Long-term coherence of vegetated patches (landcover only)."
    )
    vegetation_fraction: float = Field(0.3, ge=0, le=1, description="Fraction of land that is vegetated (landcover).")


class Artefact(_Strict):
    """One injected artefact of a QA tag type at an intensity 0 (none) to 3 (severe), on one date or all.

    Models (``pges.simulate.artefacts``): UWE an island of the true phase offset by ``intensity`` cycles
    behind a decorrelated moat; TNS/TNT extra stratified/turbulent troposphere; ION an ionospheric
    streak; ORB a strong ramp; DME a DEM-error patch; PML zeroed azimuth lines; PMR a sub-pixel azimuth
    misregistration of one burst with a burst phase ramp; PCE noise at the range edges; RFI range stripes;
    COH a decorrelated region.
    """

    type: Literal["UWE", "TNS", "TNT", "ION", "ORB", "DME", "PML", "PMR", "PCE", "RFI", "COH"] = Field(
        ..., description="QA tag type."
    )
    intensity: int = Field(1, ge=0, le=3, description="0 = none, 1 = light, 2 = moderate, 3 = severe.")
    date: dt.date | None = Field(None, description="Acquisition date (YYYY-MM-DD) it affects; None = every date.")


class SimulateParameters(PGEParameters):
    """Simulated Sentinel-1 IW acquisitions of one frame over an AOI."""

    bbox: tuple[float, float, float, float] = Field(
        ..., description="AOI [west, south, east, north], degrees.", examples=[[14.30, 40.72, 14.55, 40.90]]
    )
    track: int = Field(..., ge=1, le=175, description="Relative orbit number.", examples=[44])
    direction: Literal["A", "D"] = Field(
        ..., description="Orbit direction: A(scending) or D(escending).", examples=["A"]
    )
    frame: str = Field(..., min_length=1, description="Frame id (seeds the common scene).", examples=["F0440"])
    acquisitions: list[Acquisition] = Field(
        ...,
        min_length=1,
        description="Acquisitions to simulate, [{id, start_time}].",
        examples=[[{"id": "S1A_SIM_044A_20240103", "start_time": "2024-01-03T05:00:00Z"}]],
    )
    aoi: str | None = Field(None, description="AOI name, recorded as sarlake:aoi.")
    seed: int = Field(0, ge=0, description="Global seed; change it for an independent world.")
    dem: str | None = Field(None, description="DEM file (.hgt or GeoTIFF); None = a packaged DEM covering the AOI.")
    band: Literal["C", "L"] = Field(
        "C", description="C = Sentinel-1 (5.405 GHz); L = NISAR (1.2575 GHz, wavelength 0.2384 m)."
    )
    wavelength_m: float | None = Field(
        None, gt=0.01, lt=0.5, description="Radar wavelength, m; None = the band's (C 0.05547, L 0.2384)."
    )
    posting_m: float = Field(40.0, ge=5, le=500, description="Radar-grid pixel spacing (azimuth and ground range), m.")
    incidence_deg: float = Field(37.0, ge=15, le=60, description="Incidence angle at the grid centre, degrees.")
    heading_deg: float | None = Field(
        None, description="Flight heading clockwise from north; None = -10 (A) or 190 (D)."
    )
    deformation: list[DeformationSource] = Field(
        default_factory=lambda: [GaussianBowl()],  # type: ignore[call-arg,arg-type]
        description="Deformation sources, summed; [] = no deformation.",
    )
    atmosphere: AtmosphereConfig = Field(default_factory=AtmosphereConfig, description="Propagation delays.")  # type: ignore[arg-type]
    orbit: OrbitConfig = Field(default_factory=OrbitConfig, description="Orbit-error ramps.")  # type: ignore[arg-type]
    dem_error: DemErrorConfig = Field(default_factory=DemErrorConfig, description="DEM error.")  # type: ignore[arg-type]
    noise: NoiseConfig = Field(default_factory=NoiseConfig, description="Decorrelation.")  # type: ignore[arg-type]
    artefacts: list[Artefact] = Field(
        default_factory=list, description="Injected QA artefacts [{type, intensity, date}]; [] = none."
    )
    baseline_sigma_m: float = Field(
        60.0, ge=0, description="Std of the perpendicular baseline to the reference orbit, m."
    )

    @field_validator("bbox")
    @classmethod
    def _check_bbox(cls, v: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        w, s, e, n = v
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise ValueError("bbox must be [west, south, east, north] with west < east and south < north")
        if e - w > 2 or n - s > 2:
            raise ValueError("bbox larger than 2 degrees: the simulator is for small AOIs")
        return v

    @property
    def wavelength(self) -> float:
        """The radar wavelength (m): ``wavelength_m`` or the band's."""
        return self.wavelength_m if self.wavelength_m is not None else BAND_DEFAULTS[self.band][0]

    @model_validator(mode="after")
    def _unique_ids(self) -> SimulateParameters:
        ids = [a.id for a in self.acquisitions]
        if len(set(ids)) != len(ids):
            raise ValueError("acquisition ids must be unique")
        return self
