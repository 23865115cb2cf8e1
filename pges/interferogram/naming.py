"""ARIA-style product names.

``S1-GUNW-{A|D}-R-{track:03d}-tops-{ref}_{sec}-{HHMMSS}-{lon}{E|W}_{lat}{N|S}-PP-{hash4}-v{version}``.

``ref``/``sec`` are YYYYMMDD dates, ``HHMMSS`` the reference sensing start (UTC), lon/lat the footprint
centre in hundredths of a degree (5 digits), ``hash4`` the first 4 hex digits of the sha256 of the input
product ids and the parameters (a re-run gives the same id), ``version`` the PGE version with ``_``.
Example: ``S1-GUNW-A-R-044-tops-20240115_20240103-050000-01445E_04080N-PP-1a2b-v0_1_0``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

__all__ = ["gunw_id", "inputs_hash4"]


def inputs_hash4(input_ids: list[str], parameters: dict[str, Any]) -> str:
    """4 hex digits identifying the inputs and the parameters."""
    blob = json.dumps({"inputs": sorted(input_ids), "parameters": parameters}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:4]


def gunw_id(
    *, direction: str, track: int, ref_start: datetime, sec_start: datetime, lon: float, lat: float,
    hash4: str, version: str,
) -> str:
    """The product id (see the module docstring)."""
    lon_s = f"{round(abs(lon) * 100):05d}{'E' if lon >= 0 else 'W'}"
    lat_s = f"{round(abs(lat) * 100):05d}{'N' if lat >= 0 else 'S'}"
    return (
        f"S1-GUNW-{direction}-R-{track:03d}-tops-{ref_start:%Y%m%d}_{sec_start:%Y%m%d}-{ref_start:%H%M%S}-"
        f"{lon_s}_{lat_s}-PP-{hash4}-v{version.replace('.', '_')}"
    )
