"""Which products the data-quality gate checks: named ones, every quarantined one, or every pending one.

The ``quality_gate`` DAG checks what is ``pending`` (new since the last gate). An operator checks named products
again, or every ``quarantined`` one after correcting a suite in ``expectations/`` (``sarlake products check``, or
the DAG triggered with ``product_ids`` or ``quarantined``).
"""

from __future__ import annotations

from lake.exceptions import LakeError
from lake.settings import Settings, get_settings

__all__ = ["products_to_check"]


def products_to_check(product_ids: list[str] | None = None, quarantined: bool = False,
                      settings: Settings | None = None) -> list[str]:
    """The ids to validate: those named (each must be catalogued), every quarantined one, or else every pending one.

    A product without a status counts as ``pending`` (catalogued before the column had a default).

    Raises:
        LakeError: a named product is not catalogued (nothing is checked), or products were named and the
            quarantined ones asked for too.
    """
    from lake.catalog import load_table

    if product_ids and quarantined:
        raise LakeError("name the products to check, or ask for every quarantined one, not both")
    settings = settings or get_settings()
    rows = load_table("products", settings).scan(selected_fields=("product_id", "status")).to_arrow().to_pylist()
    if not product_ids:
        status = "quarantined" if quarantined else "pending"
        return [r["product_id"] for r in rows if (r["status"] or "pending") == status]
    ids = list(dict.fromkeys(product_ids))
    known = {r["product_id"] for r in rows}
    missing = [i for i in ids if i not in known]
    if missing:
        more = f"; {len(missing) - 1} more unknown" if len(missing) > 1 else ""
        raise LakeError(f"product {missing[0]!r} is not in the catalogue (see `sarlake sql \"SELECT product_id "
                        f"FROM products\"`); nothing checked{more}")
    return ids
