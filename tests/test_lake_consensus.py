from __future__ import annotations

from lake.consensus import consensus_rows, majority


def test_majority_breaks_ties_towards_the_higher_intensity():
    assert majority([0, 0, 1]) == (0, 2 / 3)
    assert majority([1, 2]) == (2, 0.5)


def test_consensus_is_stored_with_raters_and_agreement(settings):
    from lake.catalog import init_lake
    from lake.consensus import refresh_consensus
    from lake.query import connect
    from lake.write import upsert

    init_lake(settings)
    tags = [{"product_id": p, "user": u, "tag_type": "UWE", "intensity": i, "source": "human"}
            for p, u, i in [("A", "ann", 2), ("A", "bob", 2), ("A", "cy", 0), ("B", "ann", 1), ("B", "bob", 1)]]
    upsert("user_tags", tags, settings)
    assert refresh_consensus(settings) == 2
    rows = connect(settings).sql("SELECT product_id, majority_intensity, raters, agreement FROM tag_consensus "
                                 "ORDER BY 1").fetchall()
    assert [(r[0], r[1], r[2], round(r[3], 3)) for r in rows] == [("A", 2, 3, 0.667), ("B", 1, 2, 1.0)]
    assert {c["product_id"]: c["intensity"] for c in consensus_rows(tags)}["B"] == 1
