"""The quality_gate DAG's task: the products its run asks for (or every pending one) through the gate."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["gate"]


def gate(params: dict[str, Any], run_id: str | None = None) -> dict[str, Any]:
    """Gate the products of ``params`` (``product_ids``, or ``quarantined``; else every pending one).

    ``run_id`` (the DAG run's) names the gate's validations in the Data Docs.

    Raises:
        AirflowFailException: a named product is not catalogued, or both selections were given (not retried).
    """
    from airflow.sdk.exceptions import AirflowFailException

    from lake.exceptions import LakeError
    from sarlake.workflows.quality import gate_products
    from sarlake.workflows.quality_selection import products_to_check

    try:
        ids = products_to_check(list(params.get("product_ids") or []), bool(params.get("quarantined")))
    except LakeError as exc:
        raise AirflowFailException(f"quality_gate: {exc}") from None
    return dataclasses.asdict(gate_products(ids, run_name=run_id))
