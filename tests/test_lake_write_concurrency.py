"""Concurrent writers: updates never lose a change, conflicts retry cleanly, failed tries leave no files."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest


@pytest.fixture
def lake(settings):
    from lake.catalog import init_lake

    init_lake(settings)
    return settings


def _rows(settings, table: str = "products") -> list[dict]:
    from lake.catalog import load_table

    return load_table(table, settings).scan().to_arrow().to_pylist()


def files_on_disk_not_referenced(settings, table_name: str) -> list[str]:
    """Files under the table's folder that neither the metadata nor any snapshot in it references."""
    from lake.catalog import load_table

    table = load_table(table_name, settings)
    io = table.io
    referenced = {table.metadata_location, *(e.metadata_file for e in table.metadata.metadata_log)}
    for snapshot in table.snapshots():
        referenced.add(snapshot.manifest_list)
        for manifest in snapshot.manifests(io):
            referenced.add(manifest.manifest_path)
            referenced |= {e.data_file.file_path for e in manifest.fetch_manifest_entry(io, discard_deleted=True)}
    referenced = {p.removeprefix("file://") for p in referenced}
    root = Path(table.location().removeprefix("file://"))
    on_disk = {str(p) for p in root.rglob("*") if p.is_file()}
    return sorted(on_disk - referenced)


def _product(pid: str, **values) -> dict:
    return {"product_id": pid, "product_type": "L2_IFG", "track": 44,
            "start_time": datetime(2024, 3, 1, tzinfo=UTC), **values}


def _force_conflict(monkeypatch) -> threading.Barrier:
    """Make the first commit try of each of two threads wait for the other: both merge the same snapshot."""
    import lake._pyiceberg_compat as compat

    barrier = threading.Barrier(2, timeout=60)
    original = compat.commit_files
    state = threading.local()

    def commit_files(*args, **kwargs):
        if not getattr(state, "waited", False):
            state.waited = True
            barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(compat, "commit_files", commit_files)
    return barrier


def _run_threads(*targets) -> list:
    results: list = [None] * len(targets)

    def run(i, fn):
        try:
            results[i] = fn()
        except BaseException as exc:  # noqa: BLE001 - asserted by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_updates_of_different_columns_are_both_kept(lake, monkeypatch) -> None:
    from lake.write import update, upsert

    upsert("products", [_product("P1", coherence_mean=0.5, version="1")], lake)
    _force_conflict(monkeypatch)
    a, b = _run_threads(lambda: update("products", [{"product_id": "P1", "coherence_mean": 0.9}], lake),
                        lambda: update("products", [{"product_id": "P1", "version": "2"}], lake))
    assert not isinstance(a, BaseException) and not isinstance(b, BaseException), (a, b)
    assert sorted([a.attempts, b.attempts]) == [1, 2]  # the conflict happened and was retried
    (row,) = _rows(lake)
    assert (row["coherence_mean"], row["version"]) == (0.9, "2")


def test_concurrent_updates_of_one_column_the_later_commit_wins(lake, monkeypatch) -> None:
    from lake.catalog import load_table
    from lake.write import update, upsert

    upsert("products", [_product("P1", coherence_mean=0.5)], lake)
    _force_conflict(monkeypatch)
    a, b = _run_threads(lambda: update("products", [{"product_id": "P1", "coherence_mean": 0.7}], lake),
                        lambda: update("products", [{"product_id": "P1", "coherence_mean": 0.9}], lake))
    assert not isinstance(a, BaseException) and not isinstance(b, BaseException), (a, b)
    first, later = (0.7, 0.9) if a.attempts == 1 else (0.9, 0.7)
    table = load_table("products", lake)
    history = [table.scan(snapshot_id=s.snapshot_id).to_arrow().column("coherence_mean").to_pylist()
               for s in sorted(table.snapshots(), key=lambda s: s.sequence_number)]
    # both updates were committed, one after the other; the table holds the later one
    assert history == [[0.5], [first], [later]]


def test_a_failed_commit_leaves_no_files(lake, monkeypatch) -> None:
    """A full disk while writing the table metadata: the try's data, manifest and 0-byte metadata files go."""
    from pyiceberg.serializers import ToOutputFile

    from lake.write import upsert

    upsert("products", [_product("P1")], lake)
    assert files_on_disk_not_referenced(lake, "products") == []

    def disk_full(metadata, output_file, overwrite=False):
        output_file.create(overwrite=overwrite).close()  # what a full disk leaves: an empty file
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ToOutputFile, "table_metadata", staticmethod(disk_full))
    with pytest.raises(OSError, match="No space"):
        upsert("products", [_product("P1", coherence_mean=0.1), _product("P2")], lake)
    monkeypatch.undo()
    assert files_on_disk_not_referenced(lake, "products") == []
    assert [r["product_id"] for r in _rows(lake)] == ["P1"]
    assert upsert("products", [_product("P2")], lake).inserted == 1  # the lake still works


def test_a_validation_conflict_is_retried(lake, monkeypatch) -> None:
    """pyiceberg's ValidationException (files to delete rewritten by another writer) is a conflict like any other."""
    from pyiceberg.exceptions import ValidationException

    import lake._pyiceberg_compat as compat
    from lake.write import upsert

    upsert("products", [_product("P1")], lake)
    original, calls = compat.commit_files, []

    def commit_files(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ValidationException("Missing required files to delete: (simulated)")
        return original(*args, **kwargs)

    monkeypatch.setattr(compat, "commit_files", commit_files)
    result = upsert("products", [_product("P1", coherence_mean=0.3)], lake)
    assert (result.updated, result.attempts) == (1, 2)
    assert files_on_disk_not_referenced(lake, "products") == []


WORKER = """
import json, sys
from datetime import datetime, timezone
from lake.write import upsert
w, loops = int(sys.argv[1]), int(sys.argv[2])
attempts = 0
for b in range(loops):
    rows = [{"product_id": f"W{w}-{b}-{i}", "product_type": "L2_IFG", "track": 44,
             "start_time": datetime(2024, 1 + i % 12, 1, tzinfo=timezone.utc)} for i in range(5)]
    rows += [{"product_id": f"SHARED-{i}", "product_type": "L2_IFG", "track": 44, "coherence_mean": w + b / 100,
              "start_time": datetime(2024, 6, 1, tzinfo=timezone.utc)} for i in range(3)]
    attempts += upsert("products", rows).attempts
print(json.dumps({"attempts": attempts}))
"""


def _run_writers(n: int, loops: int, env: dict[str, str] | None = None) -> int:
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(w), str(loops)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
             for w in range(n)]
    attempts = 0
    for p in procs:
        out, err = p.communicate(timeout=1500)  # generous: a loaded 2-core CI box
        assert p.returncode == 0, err[-2000:]
        attempts += json.loads(out.strip().splitlines()[-1])["attempts"]
    return attempts


def _check_writers(settings, n: int, loops: int) -> None:
    counts = Counter(r["product_id"] for r in _rows(settings))
    expected = {f"W{w}-{b}-{i}" for w in range(n) for b in range(loops) for i in range(5)} | {
        f"SHARED-{i}" for i in range(3)}
    assert set(counts) == expected and set(counts.values()) == {1}
    assert files_on_disk_not_referenced(settings, "products") == []


@pytest.mark.parametrize("catalog_backend", ["sqlite", "postgres"], indirect=True)  # minutes on S3: not S3
def test_two_processes_upserting_one_partition_retry_cleanly_and_leave_no_orphans(lake) -> None:
    attempts = _run_writers(2, 12)
    _check_writers(lake, 2, 12)
    assert attempts > 24, "the writers never conflicted: the test did not exercise a retry"


@pytest.mark.parametrize("catalog_backend", ["sqlite"], indirect=True)  # minutes each: SQLite only
@pytest.mark.slow
@pytest.mark.timeout(2400)  # ~1 min on an idle 2-core box; 15+ min when the box runs 8 other test suites
def test_eight_writers_six_upserts_never_exhaust_the_default_retry_budget(lake) -> None:
    """Eight processes on two cores commit to one partition at once (48 upserts, each retried within its budget).

    Six upserts each, not ten: the eight processes hold both cores of the test machine while they run."""
    attempts = _run_writers(8, 6)
    _check_writers(lake, 8, 6)
    assert attempts > 48, "the writers never conflicted: the test did not exercise a retry"


def test_a_killed_lock_holder_blocks_others_only_for_its_lease(lake, monkeypatch) -> None:
    import time

    from lake import commit_lock
    from lake.settings import get_settings
    from lake.write import upsert

    monkeypatch.setenv("SARLAKE_COMMIT_LOCK_LEASE_S", "1.5")
    short = get_settings()
    assert commit_lock._try_take(short, "products", "killed-writer")  # taken, never released
    assert not commit_lock._try_take(short, "products", "someone-else")
    start = time.monotonic()
    assert upsert("products", [_product("P1")], short).inserted == 1  # waits for the lease to run out
    assert 1.0 < time.monotonic() - start
    with commit_lock.held(short, "products"):  # the expired lease is taken over
        assert commit_lock._holder(short, "products").holder != "killed-writer"
    assert commit_lock._holder(short, "products") is None
