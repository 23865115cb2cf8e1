"""Upserts: idempotent by key, counts right, no lost commits under concurrent writers."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lake.exceptions import LakeError


def _products(ids: range, coherence: float = 0.5, year: int = 2024) -> list[dict]:
    return [
        {"product_id": f"P{i:05d}", "product_type": "L2_IFG" if i % 3 else "L3_TS", "track": 44 + i % 3,
         "start_time": datetime(year + i % 2, 1 + i % 12, 1 + i % 27, 5, tzinfo=UTC),
         "coherence_mean": coherence}
        for i in ids
    ]


def _table(settings, name: str = "products"):
    from lake.catalog import load_table

    return load_table(name, settings).scan().to_arrow()


@pytest.fixture
def lake(settings):
    from lake.catalog import init_lake

    init_lake(settings)
    return settings


def test_upsert_is_idempotent_and_counts(lake) -> None:
    from lake.catalog import load_table
    from lake.write import upsert

    rows = _products(range(50))
    assert (r := upsert("products", rows, lake)).inserted == 50 and r.updated == 0
    snapshots = len(load_table("products", lake).snapshots())
    again = upsert("products", rows, lake)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 50)
    assert len(load_table("products", lake).snapshots()) == snapshots  # nothing rewritten
    data = _table(lake)
    assert data.num_rows == 50 and len(set(data.column("product_id").to_pylist())) == 50

    changed = _products(range(40, 60), coherence=0.9)
    r = upsert("products", changed, lake)
    assert (r.inserted, r.updated, r.unchanged) == (10, 10, 0)
    data = _table(lake).to_pylist()
    assert len(data) == 60
    by_id = {row["product_id"]: row for row in data}
    assert by_id["P00041"]["coherence_mean"] == 0.9 and by_id["P00001"]["coherence_mean"] == 0.5
    assert by_id["P00041"]["status"] == "pending"  # default filled on insert
    assert by_id["P00041"]["created_at"] < by_id["P00041"]["updated_at"]


def test_upsert_names_the_snapshot_that_holds_its_rows(lake) -> None:
    """Its own commit, the snapshot it read when nothing changed, and never a later writer's."""
    from lake.catalog import load_table
    from lake.write import upsert

    first = upsert("products", _products(range(10), coherence=0.5), lake)
    table = load_table("products", lake)
    assert [s.snapshot_id for s in table.snapshots()] == [first.snapshot_id]
    later = upsert("products", _products(range(5, 15), coherence=0.9), lake)  # another writer, after
    assert later.snapshot_id != first.snapshot_id
    assert load_table("products", lake).current_snapshot().snapshot_id == later.snapshot_id
    rows = load_table("products", lake).scan(snapshot_id=first.snapshot_id).to_arrow().to_pylist()
    assert len(rows) == 10 and {r["coherence_mean"] for r in rows} == {0.5}  # as the first upsert wrote them
    same = upsert("products", _products(range(5, 15), coherence=0.9), lake)
    assert same.written == 0 and same.snapshot_id == later.snapshot_id
    assert upsert("products", [], lake).snapshot_id is None


def test_a_writer_committing_right_after_is_not_taken_for_this_upserts_snapshot(lake, monkeypatch) -> None:
    import lake.write as write
    from lake.catalog import load_table

    real, others = write._upsert_once, []

    def commit_then_another_writer(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = real(*args, **kwargs)
        if not others:  # between this upsert's commit and its return, another writer commits
            others.append(None)
            others[0] = write.upsert("products", _products(range(100, 105), coherence=0.7), lake)
        return result

    monkeypatch.setattr(write, "_upsert_once", commit_then_another_writer)
    mine = write.upsert("products", _products(range(10)), lake)
    assert load_table("products", lake).current_snapshot().snapshot_id == others[0].snapshot_id != mine.snapshot_id
    rows = load_table("products", lake).scan(snapshot_id=mine.snapshot_id).to_arrow().to_pylist()
    assert sorted(r["product_id"] for r in rows) == [f"P{i:05d}" for i in range(10)]


def test_facets_filled_later_survive_a_re_catalogue(lake) -> None:
    from lake.write import upsert

    upsert("products", _products(range(3)), lake)
    upsert("products", [{"product_id": "P00001", "p_error": 0.8, "status": "quarantined",
                         **{k: v for k, v in _products(range(1, 2))[0].items() if k != "product_id"}}], lake)
    r = upsert("products", _products(range(3)), lake)  # re-catalogue: p_error/status not given
    assert (r.updated, r.unchanged) == (0, 3)
    row = [x for x in _table(lake).to_pylist() if x["product_id"] == "P00001"][0]
    assert (row["p_error"], row["status"]) == (0.8, "quarantined")


def test_duplicate_keys_in_one_batch_keep_the_last(lake) -> None:
    from lake.write import upsert

    rows = _products(range(2)) + _products(range(1), coherence=0.7)
    assert upsert("products", rows, lake).inserted == 2
    by_id = {r["product_id"]: r for r in _table(lake).to_pylist()}
    assert by_id["P00000"]["coherence_mean"] == 0.7


def test_composite_key_and_list_columns(lake) -> None:
    from lake.write import upsert

    row = {"product_id": "A", "run_id": "r1", "inputs": ["x", "y"], "parameters": "{}",
           "started_at": "2024-03-01T05:00:00Z"}
    assert upsert("provenance", [row], lake).inserted == 1
    assert upsert("provenance", [row], lake).unchanged == 1
    assert upsert("provenance", [{**row, "inputs": ["x"]}, {**row, "run_id": "r2"}], lake).written == 2
    rows = sorted(_table(lake, "provenance").to_pylist(), key=lambda r: r["run_id"])
    assert [(r["run_id"], r["inputs"]) for r in rows] == [("r1", ["x"]), ("r2", ["x", "y"])]


def test_bad_rows_are_refused(lake) -> None:
    from lake.write import upsert

    with pytest.raises(LakeError, match="no column"):
        upsert("products", [{"product_id": "x", "colour": "red"}], lake)
    with pytest.raises(LakeError, match="must not be null"):
        upsert("products", [{"product_type": "L2_IFG"}], lake)
    with pytest.raises(LakeError, match="unknown lake table"):
        upsert("nope", [{"a": 1}], lake)


@pytest.mark.parametrize("catalog_backend", ["sqlite", "postgres"], indirect=True)  # minutes on S3: not S3
def test_concurrent_threads_lose_nothing(lake) -> None:
    from lake.write import upsert

    errors: list[BaseException] = []

    def work(w: int) -> None:
        try:
            for b in range(3):
                start = w * 100 + b * 10
                upsert("products", _products(range(start, start + 10)), lake)
                upsert("products", _products(range(1000, 1005), coherence=w / 10), lake)  # shared keys
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    ids = _table(lake).column("product_id").to_pylist()
    assert len(ids) == len(set(ids)) == 4 * 30 + 5


WORKER = """
import sys
from datetime import datetime, timezone
from lake.write import upsert
w = int(sys.argv[1])
for b in range(3):
    start = w * 100 + b * 10
    rows = [{"product_id": f"P{i:05d}", "product_type": "L2_IFG", "track": 44,
             "start_time": datetime(2024, 1, 1 + i % 27, tzinfo=timezone.utc)} for i in range(start, start + 10)]
    upsert("products", rows)
    upsert("events", [{"event_id": f"ev{w}-{b}", "magnitude": 6.0}, {"event_id": "shared", "magnitude": float(w)}])
"""


@pytest.mark.parametrize("catalog_backend", ["sqlite", "postgres"], indirect=True)  # minutes on S3: not S3
def test_concurrent_processes_lose_nothing(lake, sarlake_home: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(w)], stderr=subprocess.PIPE, text=True)
             for w in range(3)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    ids = _table(lake).column("product_id").to_pylist()
    assert len(ids) == len(set(ids)) == 90
    events = _table(lake, "events").column("event_id").to_pylist()
    assert sorted(events) == sorted([f"ev{w}-{b}" for w in range(3) for b in range(3)] + ["shared"])


def test_update_patches_columns_of_existing_rows_only(lake) -> None:
    from lake.write import update, upsert

    upsert("products", _products(range(30)), lake)
    before = {r["product_id"]: r for r in _table(lake).to_pylist()}
    patch = [{"product_id": "P00003", "p_error": 0.8}, {"product_id": "P00007", "status": "quarantined"}]
    result = update("products", patch, lake)
    assert (result.inserted, result.updated) == (0, 2)
    after = {r["product_id"]: r for r in _table(lake).to_pylist()}
    assert len(after) == 30
    assert after["P00003"]["p_error"] == 0.8 and after["P00007"]["status"] == "quarantined"
    for pid in ("P00003", "P00007"):  # every other column kept
        for col in ("product_type", "track", "start_time", "coherence_mean", "created_at"):
            assert after[pid][col] == before[pid][col]
    assert update("products", [{"product_id": "P00003", "p_error": 0.8}], lake).unchanged == 1
    with pytest.raises(LakeError, match="not in the table"):
        update("products", [{"product_id": "P99999", "p_error": 0.1}], lake)
    with pytest.raises(LakeError, match="no column"):
        update("products", [{"product_id": "P00003", "perror": 0.1}], lake)


def test_upsert_refuses_rows_that_lack_their_partition_source(lake) -> None:
    from lake.write import upsert

    upsert("products", _products(range(3)), lake)
    with pytest.raises(LakeError, match="start_time.*update"):
        upsert("products", [{"product_id": "P00001", "product_type": "L2_IFG", "p_error": 0.9}], lake)
    assert len(_table(lake)) == 3


def test_rows_become_arrow_in_one_call_or_coerced_with_iso_strings_parsed() -> None:
    """The one-call build (rows of the columns' own types) and the coercing one (ISO strings) agree on values."""
    from lake.arrow_rows import to_arrow
    from lake.tables import TABLES

    when = datetime(2024, 3, 5, 6, 7, 8, tzinfo=UTC)
    spec = TABLES["archive_transfers"]  # no date column: the one-call build applies
    typed = to_arrow(spec, [{"transfer_id": "t1", "step": "new", "attempt": 2, "recorded_at": when}])
    strings = to_arrow(spec, [{"transfer_id": "t1", "step": "new", "attempt": 2, "recorded_at": "2024-03-05T06:07:08Z"},
                              {"transfer_id": "t2", "step": "new", "recorded_at": when}])
    assert typed.column("recorded_at").to_pylist() == [when]
    assert strings.column("recorded_at").to_pylist() == [when, when]
    assert strings.column("attempt").to_pylist() == [2, None]
    products = to_arrow(TABLES["products"], [{"product_id": "p", "reference_date": "2024-03-05",
                                              "secondary_date": datetime(2024, 2, 1, 23, tzinfo=UTC)}])
    assert [products.column(c)[0].as_py().isoformat() for c in ("reference_date", "secondary_date")] == [
        "2024-03-05", "2024-02-01"]
    with pytest.raises(LakeError, match="rows do not fit table archive_transfers"):
        to_arrow(spec, [{"transfer_id": "t1", "step": "new", "attempt": "two"}])
