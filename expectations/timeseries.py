"""Checks of a new L3 time series, on the figures its PGE records in its met.json (one row per product).

``velocity_valid_fraction`` is the share of pixels with a velocity (``sarlake:velocity_stats_mm_yr``);
``connected_pixel_fraction`` the share of pixels whose interferograms connect every date
(``sarlake:network``). A series with no velocity anywhere (its network in parts that share no pixel, or every
pixel masked) is no product to publish, however well its PGE ran.
"""

from __future__ import annotations

from typing import Any

SUITE = "timeseries"
KEY = "product_id"


def expectations() -> list[Any]:
    """The time-series suite."""
    import great_expectations as gx

    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeBetween(column="velocity_valid_fraction", min_value=0, max_value=1, strict_min=True),
        e.ExpectColumnValuesToBeBetween(column="connected_pixel_fraction", min_value=0, max_value=1,
                                        strict_min=True),
    ]
