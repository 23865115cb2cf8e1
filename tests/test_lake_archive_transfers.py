"""Reading the ``archive_transfers`` history: each transfer's latest step, for all products or a few.

Truth: the steps each test records itself.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def lake(settings):
    from lake.catalog import init_lake

    init_lake(settings)
    return settings


def _history(settings) -> None:
    """A delivered, a refused-then-retried, a catalogued product, and a note about an unknown message."""
    from lake.archive_transfers import STEPS, Transfer, record

    files = [{"name": "unw.tif", "uri": "/archive/unw.tif", "sha256": "0" * 64, "size": 10}]
    done = Transfer("A.v1.a1", "A", "1", 1, "selected", "/hot/A", "/archive/A-v1", files)
    refused = Transfer("B.v2.a1", "B", "2", 1, "selected", "/hot/B", "/archive/B-v2", files)
    retry = Transfer("B.v2.a2", "B", "2", 2, "selected", "/hot/B", "/archive/B-v2", files)
    waiting = Transfer("C.v1.a1", "C", "1", 1, "selected", "/hot/C", "/archive/C-v1", files)
    for step in STEPS[:-1]:  # each step its own commit, as the roll records them
        rows = [done.row(step)]
        if step in ("selected", "copied", "verified", "notified"):
            rows += [retry.row(step)]
        if step in ("selected", "copied"):
            rows += [refused.row(step)]
        if step != "hot_deleted":
            rows += [waiting.row(step)]
        record(rows, settings)
    record([refused.row("failed", reason="DAAC answered FAILURE"),
            {"transfer_id": "message:0123", "step": "cnm_r_unknown", "reason": "unknown delivery"}], settings)


def test_the_latest_step_of_the_transfers_of_chosen_products_only(lake) -> None:
    from lake.archive_transfers import delivered_versions, latest_transfers

    _history(lake)
    every = {tid: t.step for tid, t in latest_transfers(lake).items()}
    assert every == {"A.v1.a1": "hot_deleted", "B.v2.a1": "failed", "B.v2.a2": "notified", "C.v1.a1": "catalogued"}

    some = latest_transfers(lake, product_ids={"A", "B"})
    assert {tid: t.step for tid, t in some.items()} == {"A.v1.a1": "hot_deleted", "B.v2.a1": "failed",
                                                         "B.v2.a2": "notified"}
    assert (some["B.v2.a1"].reason, some["B.v2.a2"].attempt, some["A.v1.a1"].archive_uri) == (
        "DAAC answered FAILURE", 2, "/archive/A-v1")
    assert {tid: t.step for tid, t in latest_transfers(lake, step="notified", product_ids=["B", "C"]).items()} == {
        "B.v2.a2": "notified"}
    assert latest_transfers(lake, product_ids=[]) == {}
    assert latest_transfers(lake, product_ids=["NOT-THERE"]) == {}
    assert delivered_versions({"A", "B", "C"}, lake) == {("A", "1"): "A.v1.a1", ("C", "1"): "C.v1.a1"}
    assert delivered_versions({"B"}, lake) == {}
