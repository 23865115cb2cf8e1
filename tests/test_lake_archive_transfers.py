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


def test_step_rows_appended_while_another_writer_commits_are_kept_once_and_leave_no_file_behind(lake,
                                                                                                 monkeypatch) -> None:
    """Step rows are appended without reading the table (``lake.write.append``); a writer that commits between
    its read of the table and its own commit makes the catalogue refuse it. The append must then try again on the
    refreshed table: both writers' rows are there, each once, and the refused try's data file is deleted.
    Truth: the rows each writer recorded, and the data files the table's snapshot lists against those on disk."""
    from pathlib import Path

    from lake import _pyiceberg_compat
    from lake.archive_transfers import Transfer, latest_transfers, record
    from lake.catalog import load_table

    real, calls = _pyiceberg_compat.commit_files, []

    def another_writer_first(table, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:  # the other writer commits first, on the same table
            with monkeypatch.context() as m:
                m.setattr(_pyiceberg_compat, "commit_files", real)
                record([Transfer("B.v1.a1", "B", "1", 1, "selected").row("selected")], lake)
        return real(table, *args, **kwargs)

    monkeypatch.setattr(_pyiceberg_compat, "commit_files", another_writer_first)
    record([Transfer("A.v1.a1", "A", "1", 1, "selected").row("selected")], lake)
    monkeypatch.undo()
    assert len(calls) == 2  # refused once, then committed
    assert {t: s.step for t, s in latest_transfers(lake).items()} == {"A.v1.a1": "selected", "B.v1.a1": "selected"}
    table = load_table("archive_transfers", lake)
    if table.location().startswith(("/", "file:")):  # the S3 variant's objects are counted by the write tests
        listed = {Path(t.file.file_path.removeprefix("file://")).name for t in table.scan().plan_files()}
        on_disk = {p.name for p in Path(table.location().removeprefix("file://")).rglob("*.parquet")}
        assert on_disk == listed
