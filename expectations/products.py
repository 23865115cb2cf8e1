"""Products: unique ids, ordered datetimes, a bbox that is a real box on Earth, QA numbers in range, files."""

from __future__ import annotations

from typing import Any

SUITE = "products"
KEY = "product_id"


def expectations() -> list[Any]:
    """The products suite."""
    import great_expectations as gx

    e = gx.expectations
    return [
        e.ExpectColumnValuesToNotBeNull(column="product_id"),
        e.ExpectColumnValuesToBeUnique(column="product_id"),
        e.ExpectColumnValuesToNotBeNull(column="start_time"),
        e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="end_time", column_B="start_time", or_equal=True,
                                                  ignore_row_if="either_value_is_missing"),
        e.ExpectColumnValuesToBeBetween(column="west", min_value=-180, max_value=180),
        e.ExpectColumnValuesToBeBetween(column="east", min_value=-180, max_value=180),
        e.ExpectColumnValuesToBeBetween(column="south", min_value=-90, max_value=90),
        e.ExpectColumnValuesToBeBetween(column="north", min_value=-90, max_value=90),
        e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="north", column_B="south", or_equal=True,
                                                  ignore_row_if="either_value_is_missing"),
        e.ExpectColumnValuesToBeBetween(column="coherence_mean", min_value=0, max_value=1),
        e.ExpectColumnValuesToBeBetween(column="unwrapped_fraction", min_value=0, max_value=1),
        e.ExpectColumnValuesToBeBetween(column="p_error", min_value=0, max_value=1),
        # Derived in sarlake.workflows.quality from the catalogued geometry and assets:
        e.ExpectColumnValuesToBeInSet(column="footprint_in_bbox", value_set=[True]),
        e.ExpectColumnValuesToBeInSet(column="checksums_present", value_set=[True]),
        e.ExpectColumnValuesToBeBetween(column="min_asset_bytes", min_value=1, strict_min=False),
    ]
