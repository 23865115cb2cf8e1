"""A labelled set of simulated interferograms for QA training, made with the ``simulate`` PGE's scene model.

Each *scene* is one simulated frame (``pges.simulate``) with its own seed, place (terrain from the packaged
DEMs: sea, coast, plain, volcano, city), band, coherence, decorrelation time, land cover, atmosphere, orbit
and DEM errors and deformation source. A few dates are simulated per scene, each with random artefacts of the
eleven ARIA types (UWE islands among them), and nearest-neighbour pairs are formed, filtered and unwrapped by
the interferogram PGE's own steps (``process_pair``) with a random unwrapper and filter strength. A share of
the products then gets an unwrapper's failure (``pges.train.unwrap_failures``: a region cut off by a wrong
2 pi k cut), the kind of error real unwrappers make and taggers see.

The truth of each product is measured, not assumed: the unwrapped phase is compared with the simulator's true
pair phase (``phase_rad(ref) - phase_rad(sec)``, multilooked) on the pixels whose data carry the phase
(``pges.train.truth``), so errors the unwrapper makes by itself count as well as the injected islands, and its
cycle slips in noise do not. ``pges.train.truth.uwe_class`` turns the error map into an intensity 0-3.
The truth of the other ten types is the largest injected intensity of either date.

Everything a model needs is kept per product: the QA features, an 8-bit RGB browse (32x32) and a masked
phase tile (64x64x2). Held-out splits are by scene (``scene_id``), so no scene is in two splits.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from pges.qa.features import compute_features
from pges.qa.images import browse_rgb, phase_tile
from pges.train.truth import (
    corrupted_pixels,
    error_map,
    error_tile,
    linked_error_cycles,
    multilook_phase,
    observable_error_cycles,
    pair_coherence,
    uwe_class,
)
from pges.train.unwrap_failures import NO_FAILURE, apply_failure

__all__ = ["REGIONS", "SampleProduct", "scene_name", "scene_parameters", "simulate_scene", "simulate_scenes"]

logger = logging.getLogger(__name__)

#: Places with packaged DEMs: (name, west, south, east, north) the scene centre is drawn from.
REGIONS = (
    ("campania", 14.05, 40.55, 14.90, 40.95),  # sea, coast, Vesuvius, Apennine valleys (SRTM3 N40E014)
    ("los-angeles", -118.02, 33.975, -117.98, 34.025),  # city and hills (small packaged DEM)
)
TYPES = ("TNS", "TNT", "ION", "ORB", "DME", "PML", "PMR", "PCE", "RFI", "COH")


#: share of dates with the simulator's UWE island (its true phase offset behind a moat: an error no product
#: shows) and share of products with an unwrapper's failure (``pges.train.unwrap_failures``: a visible 2 pi k
#: cut). Hidden offsets need a true phase change of whole cycles across a decorrelated band (a fault, a
#: fast-deforming edifice), which few of these scenes have, so they are the rarer kind.
HIDDEN_ISLAND_SHARE = 0.15
FAILURE_SHARE = 0.4


def scene_name(scene_seed: int) -> str:
    """The ``scene_id`` of the scene simulated from ``scene_seed``."""
    return f"scene-{scene_seed:05d}"


@dataclass
class SampleProduct:
    """One labelled product of the set (arrays small enough to keep in memory for thousands)."""

    product_id: str
    scene_id: str
    features: np.ndarray
    browse: np.ndarray  # uint8 (32, 32, 3)
    tile: np.ndarray  # float16 (64, 64, 2)
    truth: dict[str, Any]  # tag type -> intensity, plus uwe_fraction and the scene's knobs
    missing: list[str]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # the product's rasters (inputs kept)
    #: the truth's error map resampled like ``tile`` (int8 |cycles|, -1 not judged; :func:`error_tile`)
    error_tile: np.ndarray | None = None


def scene_parameters(scene_seed: int, n_dates: int = 4) -> tuple[Any, dict[str, Any]]:
    """Random but reproducible simulate parameters of one scene, and its knobs for the record."""
    from pges.simulate.config import SimulateParameters

    rng = np.random.default_rng([scene_seed, 1729])
    region = REGIONS[0] if rng.random() < 0.85 else REGIONS[1]
    _, w, s, e, n = region
    half_lon, half_lat = (0.035, 0.027) if region[0] == "campania" else (0.018, 0.022)
    clon = rng.uniform(w + half_lon, e - half_lon) if e - w > 2 * half_lon else (w + e) / 2
    clat = rng.uniform(s + half_lat, n - half_lat) if n - s > 2 * half_lat else (s + n) / 2
    bbox = (round(clon - half_lon, 5), round(clat - half_lat, 5), round(clon + half_lon, 5), round(clat + half_lat, 5))
    start = datetime(2023, 1, 1, 5, tzinfo=UTC) + timedelta(days=int(rng.integers(0, 600)))
    step = int(rng.choice([6, 12, 12, 24]))
    acqs = [{"id": f"D{i}", "start_time": (start + timedelta(days=step * i)).isoformat()} for i in range(n_dates)]
    deformation: list[dict[str, Any]]
    kind = rng.choice(["none", "gaussian", "mogi"])
    if kind == "gaussian":
        deformation = [{"kind": "gaussian", "rate_mm_per_yr": float(rng.uniform(-150, 150)),
                        "sigma_m": float(rng.uniform(400, 3000))}]
    elif kind == "mogi":
        deformation = [{"kind": "mogi", "volume_rate_m3_per_yr": float(rng.uniform(-4e6, 4e6)),
                        "depth_m": float(rng.uniform(1500, 5000))}]
    else:
        deformation = []
    artefacts = []
    for a in acqs:
        day = a["start_time"][:10]
        if rng.random() < HIDDEN_ISLAND_SHARE:
            artefacts.append({"type": "UWE", "intensity": int(rng.integers(1, 4)), "date": day})
        for t in rng.choice(TYPES, size=int(rng.choice([0, 0, 1, 1, 2])), replace=False):
            artefacts.append({"type": str(t), "intensity": int(rng.integers(1, 4)), "date": day})
    knobs = {
        "region": region[0],
        "coherence": float(rng.uniform(0.45, 0.97)),
        "tau_days": float(rng.uniform(8, 200)),
        "landcover": bool(rng.random() < 0.5),
        "turbulence_mm": float(rng.uniform(0.5, 6)),
        "stratified_mm_per_km": float(rng.uniform(0, 8)),
        "ramp_mm_per_km": float(rng.uniform(0, 0.4)),
        "dem_error_m": float(rng.uniform(0, 15)),
        "band": "L" if rng.random() < 0.2 else "C",
        "deformation": str(kind),
    }
    p = SimulateParameters.model_validate({
        "bbox": bbox, "track": int(rng.integers(1, 175)), "direction": str(rng.choice(["A", "D"])),
        "frame": f"Q{scene_seed}", "acquisitions": acqs, "seed": int(scene_seed), "band": knobs["band"],
        "posting_m": 50.0, "deformation": deformation, "artefacts": artefacts,
        "atmosphere": {"turbulence_mm": knobs["turbulence_mm"], "stratified_mm_per_km": knobs["stratified_mm_per_km"]},
        "orbit": {"ramp_mm_per_km": knobs["ramp_mm_per_km"]},
        "dem_error": {"std_m": knobs["dem_error_m"]},
        "noise": {"coherence": knobs["coherence"], "tau_days": knobs["tau_days"], "landcover": knobs["landcover"]},
        "baseline_sigma_m": float(rng.uniform(20, 120)),
    })
    return p, knobs


def triplet_closures(unw: dict[tuple[int, int], np.ndarray],
                     tolerance: float = 0.01) -> dict[tuple[int, int, int], bool]:
    """Whether each triplet (i, j, k) of the stack fails to close (True: broken).

    A triplet closes when ``unw_ij + unw_jk - unw_ik`` (minus its median) stays within pi on all but ``tolerance``
    of the pixels valid in the three; an unwrapping error in one of them breaks the closure by whole cycles.
    Triplets without a pixel valid in all three are left out.
    """
    nodes = sorted({n for pair in unw for n in pair})
    out: dict[tuple[int, int, int], bool] = {}
    for a in nodes:
        for b in nodes:
            for c in nodes:
                if not (a < b < c and (a, b) in unw and (b, c) in unw and (a, c) in unw):
                    continue
                loop = unw[(a, b)] + unw[(b, c)] - unw[(a, c)]
                ok = np.isfinite(loop)
                if not ok.any():
                    continue
                dev = np.abs(loop[ok] - np.median(loop[ok]))
                out[(a, b, c)] = bool((dev > np.pi).mean() > tolerance)
    return out


def triplet_misclosure(unw: dict[tuple[int, int], np.ndarray], tolerance: float = 0.01) -> dict[tuple[int, int], float]:
    """Share of each pair's triplets whose unwrapped phases do not close (:func:`triplet_closures`).

    Pairs in no triplet are left out (their share is unknown, not zero).
    """
    broken: dict[tuple[int, int], list[bool]] = {}
    for (a, b, c), bad in triplet_closures(unw, tolerance).items():
        for pair in ((a, b), (b, c), (a, c)):
            broken.setdefault(pair, []).append(bad)
    return {pair: float(np.mean(flags)) for pair, flags in broken.items()}


#: input profiles of real sources: (share, dropped [coherence, wrapped, conncomp, dem]); the rest drop at random
INPUT_PROFILES = (
    (0.40, (False, False, False, False)),  # a full product with its DEM
    (0.15, (False, False, False, True)),  # ARIA GUNW (its layers carry no DEM), ingested without one
    (0.20, (True, True, True, True)),  # ROI_PAC / GAMMA .unw alone (no coherence, or one that is ignored)
    (0.10, (False, True, True, True)),  # .unw with its coherence
)


def _input_profile(rng: np.random.Generator) -> np.ndarray:
    """Which of coherence, wrapped phase, components and DEM a product lacks, as real sources deliver them."""
    u = rng.random()
    for share, dropped in INPUT_PROFILES:
        if u < share:
            return np.array(dropped)
        u -= share
    return rng.random(4) < np.array([0.15, 0.35, 0.35, 0.5])


def _pairs(n: int, neighbours: int) -> list[tuple[int, int]]:
    return [(i, j) for j in range(n) for i in range(max(0, j - neighbours), j)]


def simulate_scene(scene_seed: int, n_dates: int = 4, neighbours: int = 2) -> list[SampleProduct]:
    """Simulate one scene's dates, make its interferograms and label them against the truth."""
    from pges.interferogram.config import InterferogramParameters
    from pges.interferogram.geocode import multilook_mean
    from pges.interferogram.pge import process_pair
    from pges.simulate.pge import _Frame
    from pges.simulate.scene import simulate_date

    p, knobs = scene_parameters(scene_seed, n_dates)
    rng = np.random.default_rng([scene_seed, 31337])
    fail_rng = np.random.default_rng([scene_seed, 2718])
    frame = _Frame(p)
    scenes = [simulate_date(p, frame.scene, a.start_time) for a in p.acquisitions]
    dem_ml = multilook_mean(frame.dem.astype(np.float64), 2, 2)
    made = []
    for i, j in _pairs(len(scenes), neighbours):
        sec, ref = scenes[i], scenes[j]
        method = "snaphu" if rng.random() < 0.7 else "quality"
        ip = InterferogramParameters.model_validate({
            "looks_range": 2, "looks_azimuth": 2, "unwrap": {"method": method},
            "filter": {"strength": float(rng.uniform(0.2, 0.8))}, "verify_checksums": False,
        })
        try:
            arr = process_pair(ref.slc, sec.slc, ip, label=f"scene {scene_seed} pair {i}-{j}")
        except Exception as exc:  # an all-incoherent pair: not a product anyone would tag
            logger.info("scene %d pair %d-%d skipped: %s", scene_seed, i, j, exc)
            continue
        failure = NO_FAILURE
        if fail_rng.random() < FAILURE_SHARE:
            unwrapped, failure = apply_failure(arr.unwrapped, fail_rng)
            arr = dataclasses.replace(arr, unwrapped=unwrapped)
        true = multilook_phase(ref.phase_rad.astype(np.float64) - sec.phase_rad, 2)
        corrupted = corrupted_pixels(ref, sec, arr.unwrapped.shape)
        carries = pair_coherence(frame.scene.decorrelation, ref, sec, p.acquisitions[j].start_time.date(),
                                 p.acquisitions[i].start_time.date())
        cycles = error_map(arr.unwrapped, true, carries, corrupted)
        uwe, frac, sev = uwe_class(cycles[np.isfinite(cycles)])
        truth: dict[str, Any] = {"UWE": uwe, "uwe_fraction": round(frac, 5), "uwe_severity": round(sev, 5)}
        obs, obs_frac, obs_sev = uwe_class(observable_error_cycles(arr.unwrapped, true, carries, corrupted))
        truth.update(uwe_observable=obs, uwe_observable_fraction=round(obs_frac, 5),
                     uwe_observable_severity=round(obs_sev, 5))
        lnk, lnk_frac, lnk_sev = uwe_class(linked_error_cycles(arr.unwrapped, true, carries, corrupted))
        truth.update(uwe_linked=lnk, uwe_linked_fraction=round(lnk_frac, 5), uwe_linked_severity=round(lnk_sev, 5))
        for t in TYPES:
            truth[t] = max(ref.artefacts.get(t, (None, 0))[1], sec.artefacts.get(t, (None, 0))[1])
        truth["uwe_injected"] = max(ref.artefacts.get("UWE", (None, 0))[1], sec.artefacts.get("UWE", (None, 0))[1])
        truth.update(knobs, unwrapper=method, uwe_failure_kind=failure.kind, uwe_failure_cycles=failure.cycles,
                     uwe_failure_area=failure.area)
        made.append((i, j, arr, truth, error_tile(cycles)))
    closure = triplet_misclosure({(i, j): arr.unwrapped for i, j, arr, _, _ in made})
    out = []
    for i, j, arr, truth, err_tile in made:
        wrapped = np.angle(arr.filtered).astype(np.float32)
        cc = arr.conncomp
        # a share of the set lacks some inputs, as real products do (external ones have no wrapped phase or
        # components, ingested ARIA GUNW no DEM), so models learn the degraded feature sets too
        drop = _input_profile(rng)
        triplets = closure.get((i, j)) if rng.random() > 0.3 else None
        feats = compute_features(
            arr.unwrapped, None if drop[0] else arr.coherence, None if drop[1] else wrapped,
            None if drop[2] else cc, None if drop[3] else dem_ml, triplet_misclosure_share=triplets,
        )
        pid = f"SIMQA-{scene_seed:05d}-{i}{j}"
        arrays = {"unw": arr.unwrapped.astype(np.float32)}
        for key, a, dropped in (("coherence", arr.coherence, drop[0]), ("wrapped", wrapped, drop[1]),
                                ("conncomp", cc, drop[2]), ("dem", dem_ml, drop[3])):
            if not dropped and a is not None:
                arrays[key] = np.asarray(a, dtype=np.int16 if key == "conncomp" else np.float32)
        if triplets is not None:
            arrays["triplet_misclosure_share"] = np.array(triplets, dtype=np.float32)
        out.append(SampleProduct(
            pid, scene_name(scene_seed), feats.vector(), browse_rgb(arr.unwrapped, arrays.get("coherence")),
            phase_tile(arr.unwrapped, arrays.get("coherence")), truth, feats.missing, arrays, err_tile,
        ))
    return out


def simulate_scenes(seeds: Iterable[int], workers: int = 1, n_dates: int = 4,
                    neighbours: int = 2) -> Iterator[list[SampleProduct]]:
    """:func:`simulate_scene` of each seed, in order, in ``workers`` processes (1: in this one)."""
    from functools import partial

    one = partial(simulate_scene, n_dates=n_dates, neighbours=neighbours)
    if workers == 1:
        yield from map(one, seeds)
        return
    from pges.train.pools import process_pool

    with process_pool(workers) as pool:
        yield from pool.map(one, seeds, chunksize=4)
