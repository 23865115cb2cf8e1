"""Acquisitions: unique ids, ordered sensing times, known orbit direction, a real wavelength."""

from __future__ import annotations

from typing import Any

SUITE = "acquisitions"
KEY = "acquisition_id"


def expectations() -> list[Any]:
    """The acquisitions suite."""
    import great_expectations as gx

    e = gx.expectations
    return [
        e.ExpectColumnValuesToBeUnique(column="acquisition_id"),
        e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="end_time", column_B="start_time", or_equal=True,
                                                  ignore_row_if="either_value_is_missing"),
        e.ExpectColumnValuesToBeInSet(column="direction", value_set=["A", "D"]),
        e.ExpectColumnValuesToBeBetween(column="wavelength_m", min_value=0.01, max_value=1.0),
        e.ExpectColumnValuesToBeBetween(column="south", min_value=-90, max_value=90),
        e.ExpectColumnValuesToBeBetween(column="north", min_value=-90, max_value=90),
    ]
