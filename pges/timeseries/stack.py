"""Load L2_IFG products (met.json) into one stack, select the network, mask and reference it.

Each input's ``unwrapped_phase`` asset (radians, positive = range increase) is read with its wavelength
(``sarlake:wavelength_m``); products that only carry ``los_displacement`` (mm, positive toward the
satellite) are converted back to phase. All products must share one grid (shape and transform) and one
wavelength: the time series does no resampling.
"""

from __future__ import annotations

import json
import logging
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.transform import Affine

from pges.errors import InputValidationError
from pges.readers.geotiff import read_geotiff_band
from pges.storage import is_s3
from pges.timeseries.config import NetworkSelection

__all__ = ["IfgStack", "load_stack", "mask_by_coherence", "select_network"]

logger = logging.getLogger(__name__)


@dataclass
class IfgStack:
    """Interferograms on one grid: phase (radians) and coherence stacks with their pairs and dates."""

    ids: list[str]
    uris: list[str]
    phase: np.ndarray  # (n_ifg, rows, cols) radians, NaN = no data
    coherence: np.ndarray | None  # (n_ifg, rows, cols) 0..1 or None when no input has coherence
    pairs: list[tuple[date, date]]  # (earlier, later)
    transform: Affine
    wavelength_m: float
    crs: str = "EPSG:4326"
    incidence_deg: float | None = None  # from the products' met.json (view:incidence_angle), when all agree
    heading_deg: float | None = None  # from the products' met.json (sarlake:heading_deg)
    #: the track (sat:relative_orbit) and orbit direction (sat:orbit_state) the products share, else None
    track: int | None = None
    orbit_state: str | None = None

    @property
    def dates(self) -> list[date]:
        """All acquisition dates, ascending."""
        return sorted({d for p in self.pairs for d in p})

    def orbit_properties(self) -> dict[str, Any]:
        """The STAC ``sat:`` properties of a product of this stack: the track and direction its inputs share."""
        props = {"sat:relative_orbit": self.track, "sat:orbit_state": self.orbit_state}
        return {k: v for k, v in props.items() if v is not None}

    def subset(self, keep: np.ndarray) -> IfgStack:
        """Return the stack restricted to the interferograms where ``keep`` is True."""
        idx = np.flatnonzero(keep)
        return IfgStack(
            ids=[self.ids[i] for i in idx],
            uris=[self.uris[i] for i in idx],
            phase=self.phase[idx],
            coherence=None if self.coherence is None else self.coherence[idx],
            pairs=[self.pairs[i] for i in idx],
            transform=self.transform,
            wavelength_m=self.wavelength_m,
            crs=self.crs,
            incidence_deg=self.incidence_deg,
            heading_deg=self.heading_deg,
            track=self.track,
            orbit_state=self.orbit_state,
        )


def _asset_uri(met_uri: str, href: str) -> str:
    if "://" in href or href.startswith("/"):
        return href
    if is_s3(met_uri) or met_uri.startswith("file://"):
        return posixpath.join(posixpath.dirname(met_uri), href)
    return str(Path(met_uri).parent / href)


def _read_product(met_uri: str, fetch: Callable[[str], Path]) -> dict[str, Any]:
    met_path = fetch(met_uri)
    try:
        item = json.loads(met_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputValidationError(f"{met_path.name}: not a readable met.json ({exc})") from exc
    props = item.get("properties", {})
    pid = item.get("id", met_path.stem)
    if props.get("sarlake:product_type") != "L2_IFG":
        raise InputValidationError(f"{pid}: product type {props.get('sarlake:product_type')!r}, expected L2_IFG")
    try:
        d1 = date.fromisoformat(props["sarlake:reference_date"])
        d2 = date.fromisoformat(props["sarlake:secondary_date"])
        wavelength = float(props["sarlake:wavelength_m"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputValidationError(
            f"{pid}: met.json lacks a valid {exc} (reference/secondary date, wavelength)"
        ) from exc
    if d1 == d2:
        raise InputValidationError(f"{pid}: reference and secondary dates are both {d1}")
    assets = item.get("assets", {})
    if "unwrapped_phase" in assets:
        phase, _, transform, crs = read_geotiff_band(fetch(_asset_uri(met_uri, assets["unwrapped_phase"]["href"])))
    elif "los_displacement" in assets:
        los, _, transform, crs = read_geotiff_band(fetch(_asset_uri(met_uri, assets["los_displacement"]["href"])))
        phase = (-los.astype(np.float64) / 1000.0 * 4 * np.pi / wavelength).astype(np.float32)
    else:
        raise InputValidationError(f"{pid}: met.json has neither an unwrapped_phase nor a los_displacement asset")
    coherence = None
    if "coherence" in assets:
        coherence, _, _, _ = read_coherence_asset(fetch(_asset_uri(met_uri, assets["coherence"]["href"])), pid)
    return {
        "id": pid,
        "uri": met_uri,
        "phase": phase,
        "coherence": coherence,
        "transform": transform,
        "crs": crs,
        "pair": (min(d1, d2), max(d1, d2)),
        "wavelength": wavelength,
        "coherence_mean": props.get("sarlake:coherence_mean"),
        "bbox": item.get("bbox"),
        "incidence": props.get("view:incidence_angle"),
        "heading": props.get("sarlake:heading_deg"),
        "track": props.get("sat:relative_orbit"),
        "orbit_state": props.get("sat:orbit_state"),
    }


def read_coherence_asset(path: Path, pid: str) -> tuple[np.ndarray, Any, Any, Any]:
    """Read a coherence COG; an all-NaN one is an input error (the reader's message names the product)."""
    try:
        return read_geotiff_band(path)
    except InputValidationError as exc:
        raise InputValidationError(f"{pid}: coherence asset {path.name} has no valid pixel ({exc})") from exc


def _overlap(b1: list[float] | None, b2: list[float] | None) -> bool:
    if not b1 or not b2:
        return True
    return b1[0] < b2[2] and b2[0] < b1[2] and b1[1] < b2[3] and b2[1] < b1[3]


def load_stack(met_uris: list[str], fetch: Callable[[str], Path]) -> IfgStack:
    """Read the L2_IFG products named by ``met_uris`` into one stack (sorted by date pair).

    Raises:
        InputValidationError: fewer than 2 products, a product that is not L2_IFG or lacks phase,
            products that do not overlap or lie on different grids, mixed wavelengths, duplicate pairs,
            an all-NaN coherence.
    """
    if len(met_uris) < 2:
        raise InputValidationError(f"a time series needs at least 2 interferograms, got {len(met_uris)}")
    prods = sorted((_read_product(u, fetch) for u in met_uris), key=lambda p: p["pair"])
    first = prods[0]
    seen: dict[tuple[date, date], str] = {}
    for p in prods:
        if p["pair"] in seen:
            raise InputValidationError(
                f"{p['id']} and {seen[p['pair']]} are the same pair {p['pair'][0]}/{p['pair'][1]}"
            )
        seen[p["pair"]] = p["id"]
        if not _overlap(first["bbox"], p["bbox"]):
            raise InputValidationError(f"{p['id']} does not overlap {first['id']} (no common pixels)")
        if p["phase"].shape != first["phase"].shape or not p["transform"].almost_equals(first["transform"], 1e-9):
            raise InputValidationError(
                f"{p['id']} is on another grid than {first['id']} ({p['phase'].shape} vs {first['phase'].shape}); "
                "resample the products to one grid first"
            )
        if abs(p["wavelength"] - first["wavelength"]) > 1e-6:
            raise InputValidationError(
                f"{p['id']} has wavelength {p['wavelength']} m but {first['id']} {first['wavelength']} m"
            )
    has_coh = [p["coherence"] is not None for p in prods]
    coherence = None
    if any(has_coh):
        coherence = np.stack(
            [p["coherence"] if p["coherence"] is not None else np.full_like(p["phase"], np.nan) for p in prods]
        )
    return IfgStack(
        ids=[p["id"] for p in prods],
        uris=[p["uri"] for p in prods],
        phase=np.stack([p["phase"] for p in prods]).astype(np.float32),
        coherence=coherence,
        pairs=[p["pair"] for p in prods],
        transform=first["transform"],
        wavelength_m=first["wavelength"],
        crs=str(first["crs"]),
        incidence_deg=_common(prods, "incidence", 0.5),
        heading_deg=_common(prods, "heading", 2.0, period=360.0),
        track=_shared(prods, "track"),
        orbit_state=_shared(prods, "orbit_state"),
    )


def _shared(prods: list[dict[str, Any]], key: str) -> Any:
    """The value of ``key`` every product has, or None when one lacks it or they differ."""
    values = {p[key] for p in prods}
    return values.pop() if len(values) == 1 else None


def _common(prods: list[dict[str, Any]], key: str, tolerance: float, period: float | None = None) -> float | None:
    """The products' shared value of a geometry field (their mean), or None when one lacks it or they differ.

    ``period`` (360 for a heading): values are compared as angles, each taken to within half a period of the first,
    so a heading written -168 by one processor and 192 by another is the same heading (the mean is in the first's
    range).
    """
    values = [p[key] for p in prods]
    if any(v is None for v in values):
        return None
    arr = np.array(values, dtype=np.float64)
    if period is not None:
        arr = arr[0] + (arr - arr[0] + period / 2) % period - period / 2
    if np.ptp(arr) > tolerance:
        logger.warning("the products disagree on %s (%.2f..%.2f): not used", key, arr.min(), arr.max())
        return None
    return float(arr.mean())


def select_network(
    stack: IfgStack, sel: NetworkSelection, coherence_means: list[float | None] | None = None
) -> IfgStack:
    """Apply the network selection; at least 2 interferograms must remain.

    Raises:
        InputValidationError: fewer than 2 interferograms left.
    """
    excluded = {frozenset(p.split("_")) for p in sel.exclude_pairs}
    keep = np.ones(len(stack.pairs), bool)
    for n, (a, b) in enumerate(stack.pairs):
        if sel.max_temporal_baseline_days is not None and (b - a).days > sel.max_temporal_baseline_days:
            keep[n] = False
        if frozenset((f"{a:%Y%m%d}", f"{b:%Y%m%d}")) in excluded or a in sel.exclude_dates or b in sel.exclude_dates:
            keep[n] = False
        if sel.min_coherence_mean > 0:
            m = coherence_means[n] if coherence_means else None
            if m is None and stack.coherence is not None:
                m = float(np.nanmean(stack.coherence[n]))
            if m is None or m < sel.min_coherence_mean:
                keep[n] = False
    if keep.sum() < 2:
        raise InputValidationError(
            f"network selection leaves {int(keep.sum())} of {keep.size} interferograms; a time series needs 2"
        )
    if not keep.all():
        logger.info("network selection dropped %d of %d interferograms", int((~keep).sum()), keep.size)
    return stack.subset(keep)


def mask_by_coherence(stack: IfgStack, min_coherence: float) -> np.ndarray:
    """Phase with pixels of coherence below ``min_coherence`` set to NaN (a copy).

    Raises:
        InputValidationError: masking is asked for but an interferogram has no coherence, or it removes
            every pixel of an interferogram.
    """
    phase = stack.phase.copy()
    if min_coherence <= 0:
        return phase
    if stack.coherence is None or np.isnan(stack.coherence).all(axis=(1, 2)).any():
        missing = (
            stack.ids[0]
            if stack.coherence is None
            else stack.ids[int(np.flatnonzero(np.isnan(stack.coherence).all(axis=(1, 2)))[0])]
        )
        raise InputValidationError(f"min_coherence {min_coherence} asked for but {missing} has no coherence")
    low = ~(stack.coherence >= min_coherence)
    phase[low] = np.nan
    empty = np.isnan(phase).all(axis=(1, 2))
    if empty.any():
        first = stack.ids[int(np.flatnonzero(empty)[0])]
        raise InputValidationError(f"{first}: no pixel has coherence >= {min_coherence}; lower min_coherence")
    return phase
