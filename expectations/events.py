"""Events: unique ids, magnitudes and coordinates in range, known PAGER levels."""

from __future__ import annotations

from typing import Any

SUITE = "events"
KEY = "event_id"


def expectations() -> list[Any]:
    """The events suite."""
    import great_expectations as gx

    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeUnique(column="event_id"),
        e.ExpectColumnValuesToBeBetween(column="magnitude", min_value=-2, max_value=10),
        e.ExpectColumnValuesToBeBetween(column="lat", min_value=-90, max_value=90),
        e.ExpectColumnValuesToBeBetween(column="lon", min_value=-180, max_value=180),
        e.ExpectColumnValuesToBeInSet(column="alert", value_set=["green", "yellow", "orange", "red"]),
    ]
