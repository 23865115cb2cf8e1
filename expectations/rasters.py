"""Raster checks of a new product, on statistics computed from its COGs (one row per product).

``nan_share`` is the share of invalid pixels of the unwrapped phase; ``phase_abs_max`` its largest absolute
value in radians (an unwrapped interferogram of a few fringes stays far below 1e4 rad); ``coherence_min`` and
``coherence_max`` the range of the coherence raster, which must lie in [0, 1].
"""

from __future__ import annotations

from typing import Any

SUITE = "rasters"
KEY = "product_id"


def expectations() -> list[Any]:
    """The raster suite."""
    import great_expectations as gx

    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeBetween(column="nan_share", min_value=0, max_value=0.5),
        e.ExpectColumnValuesToBeBetween(column="phase_abs_max", min_value=0, max_value=1e4),
        e.ExpectColumnValuesToBeBetween(column="coherence_min", min_value=0, max_value=1),
        e.ExpectColumnValuesToBeBetween(column="coherence_max", min_value=0, max_value=1),
    ]
