"""QA predictions (where the table exists): probabilities in [0, 1]."""

from __future__ import annotations

from typing import Any

SUITE = "qa_predictions"
KEY = "product_id"


def expectations() -> list[Any]:
    """The qa_predictions suite."""
    import great_expectations as gx

    e = gx.expectations
    return [
        e.ExpectColumnValuesToNotBeNull(column="product_id"),
        e.ExpectColumnValuesToBeBetween(column="p_error", min_value=0, max_value=1),
    ]
