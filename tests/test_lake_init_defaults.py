"""`sarlake init` gives rows written before a column had a default that default, once.

Products catalogued before 2026-12-06 have tier null (only the archive roll and restore wrote one), so an analyst's
`WHERE tier = 'hot'` missed them. Truth: the rows written here, null where the old code left null.
"""

from __future__ import annotations


def test_init_fills_the_tier_and_status_old_rows_lack_and_keeps_the_others(settings) -> None:
    from lake.catalog import init_lake, load_table
    from lake.write import update, upsert

    init_lake(settings)
    upsert("products", [{"product_id": p, "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}
                        for p in ("OLD", "ARCHIVED", "NEW")], settings)
    # as an older version of the code left them: no tier, no status; an archived one keeps its tier
    update("products", [{"product_id": "OLD", "tier": None, "status": None},
                        {"product_id": "ARCHIVED", "tier": "archive", "status": "published"}], settings)
    before = load_table("products", settings).current_snapshot().snapshot_id

    init_lake(settings)
    rows = {r["product_id"]: (r["tier"], r["status"])
            for r in load_table("products", settings).scan().to_arrow().to_pylist()}
    assert rows == {"OLD": ("hot", "pending"), "ARCHIVED": ("archive", "published"), "NEW": ("hot", "pending")}
    after = load_table("products", settings).current_snapshot().snapshot_id
    assert after != before

    init_lake(settings)  # nothing left to fill: no new snapshot
    assert load_table("products", settings).current_snapshot().snapshot_id == after
