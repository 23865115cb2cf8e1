"""Which products the data-quality gate checks: named ones, or every product of a status.

The ``quality_gate`` DAG checks what is ``pending`` (new since the last gate). An operator checks named products
again, or every ``quarantined`` one after correcting a suite in ``expectations/`` (``sarlake products check``).
"""

from __future__ import annotations

from lake.exceptions import LakeError
from lake.settings import Settings, get_settings

__all__ = ["STATUSES", "products_to_check"]

#: The values of ``products.status``.
STATUSES = ("pending", "published", "quarantined")


def products_to_check(product_ids: list[str] | None = None, status: str | None = None,
                      settings: Settings | None = None) -> list[str]:
    """The ids to validate: those named (each must be catalogued), or every product of ``status``.

    A product without a status counts as ``pending`` (catalogued before the column had a default).

    Raises:
        LakeError: a named product is not catalogued (nothing is checked), both or neither selection was given,
            or the status is not one of :data:`STATUSES`.
    """
    from lake.catalog import load_table

    if (product_ids is None) == (status is None):
        raise LakeError("name the products to check, or a status, not both")
    if status is not None and status not in STATUSES:
        raise LakeError(f"unknown status {status!r}; a product is one of {', '.join(STATUSES)}")
    settings = settings or get_settings()
    rows = load_table("products", settings).scan(selected_fields=("product_id", "status")).to_arrow().to_pylist()
    if status is not None:
        return [r["product_id"] for r in rows if (r["status"] or "pending") == status]
    ids = list(dict.fromkeys(product_ids or []))
    known = {r["product_id"] for r in rows}
    missing = [i for i in ids if i not in known]
    if missing:
        more = f"; {len(missing) - 1} more unknown" if len(missing) > 1 else ""
        raise LakeError(f"product {missing[0]!r} is not in the catalogue (see `sarlake sql \"SELECT product_id "
                        f"FROM products\"`); nothing checked{more}")
    return ids
