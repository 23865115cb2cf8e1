"""Reading and checking the SLC pair of an interferogram: met.json, checksums, coregistration, overlap."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pges.errors import InputValidationError
from pges.metadata import file_checksum
from pges.runner import RunContext
from pges.storage import is_s3

__all__ = ["SLCInput", "order_pair", "read_slc_input"]

logger = logging.getLogger(__name__)

REQUIRED_ASSETS = ("slc", "lat", "lon")


@dataclass
class SLCInput:
    """One SLC product: its met.json (as a dict) and local paths of its assets."""

    uri: str
    item: dict[str, Any]
    paths: dict[str, Path]

    @property
    def id(self) -> str:
        """Product id."""
        return str(self.item["id"])

    @property
    def props(self) -> dict[str, Any]:
        """STAC properties."""
        return self.item["properties"]

    @property
    def start(self) -> datetime:
        """Sensing start (UTC)."""
        return datetime.fromisoformat(self.props.get("start_datetime") or self.props["datetime"])

    @property
    def grid(self) -> dict[str, Any]:
        """``sarlake:grid`` (id, shape, ...)."""
        return self.props.get("sarlake:grid") or {}


def read_slc_input(ctx: RunContext, uri: str, verify: bool) -> SLCInput:
    """Fetch and check one SLC product named by its met.json URI.

    Raises:
        InputValidationError: missing or unreadable met.json, not an L1_SLC, missing asset, checksum mismatch.
    """
    met = ctx.fetch(uri)
    try:
        item = json.loads(met.read_text())
        props = item["properties"]
        assets = item["assets"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputValidationError(f"input {uri} is not a valid met.json ({type(exc).__name__}: {exc})") from exc
    if props.get("sarlake:product_type") != "L1_SLC":
        raise InputValidationError(
            f"input {uri} is a {props.get('sarlake:product_type')!r} product; the interferogram needs L1_SLC"
        )
    paths: dict[str, Path] = {}
    base = uri.rsplit("/", 1)[0]
    for name in REQUIRED_ASSETS + ("dem",):
        asset = assets.get(name)
        if asset is None:
            if name in REQUIRED_ASSETS:
                raise InputValidationError(f"input {uri} has no '{name}' asset")
            continue
        href = asset["href"]
        path = ctx.fetch(f"{base}/{href}") if is_s3(uri) else met.parent / href
        if not path.is_file():
            raise InputValidationError(f"raster {path} (asset '{name}' of {uri}) is missing")
        if verify and "sarlake:sha256" in asset:
            digest, size = file_checksum(path)
            if digest != asset["sarlake:sha256"]:
                raise InputValidationError(
                    f"raster {path} does not match the sha256 in {Path(uri).name} (corrupt or changed); "
                    "re-create the input product"
                )
        paths[name] = path
    return SLCInput(uri=uri, item=item, paths=paths)


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def order_pair(a: SLCInput, b: SLCInput) -> tuple[SLCInput, SLCInput]:
    """Check that two SLCs form an interferogram; return ``(reference, secondary)`` = (later, earlier).

    Raises:
        InputValidationError: same date, no overlap, or not coregistered (different frame, track,
            direction or radar grid).
    """
    names = f"{a.uri} and {b.uri}"
    if not _overlap(a.item["bbox"], b.item["bbox"]):
        raise InputValidationError(f"SLCs {names} do not overlap")
    for key in ("sat:relative_orbit", "sat:orbit_state", "sarlake:frame"):
        if a.props.get(key) != b.props.get(key):
            raise InputValidationError(
                f"SLCs {names} are not coregistered: {key} {a.props.get(key)!r} != {b.props.get(key)!r}"
            )
    if a.grid.get("id") != b.grid.get("id") or a.grid.get("shape") != b.grid.get("shape"):
        raise InputValidationError(
            f"SLCs {names} are not coregistered: radar grids differ ({a.grid.get('shape')} vs {b.grid.get('shape')})"
        )
    if a.start.date() == b.start.date():
        raise InputValidationError(f"SLCs {names} were acquired on the same date")
    return (a, b) if a.start > b.start else (b, a)
