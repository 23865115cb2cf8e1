"""Maintenance: old snapshots expire, files nothing references are deleted, and the data stays the same."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lake.exceptions import LakeError


def _products(n: int, coherence: float) -> list[dict]:
    return [{"product_id": f"P{i:03d}", "product_type": "L2_IFG", "track": 44,
             "start_time": datetime(2024, 1 + i % 12, 1, tzinfo=UTC), "coherence_mean": coherence} for i in range(n)]


def _files(root: Path, suffix: str) -> set[Path]:
    return set(root.rglob(f"*{suffix}"))


@pytest.mark.parametrize("catalog_backend", ["sqlite", "postgres"], indirect=True)  # ages local files: not S3
def test_maintain_expires_snapshots_and_deletes_orphans_only(settings) -> None:
    from lake.catalog import init_lake, load_table
    from lake.maintenance import maintain
    from lake.query import run_sql
    from lake.write import upsert

    init_lake(settings)
    for k in range(4):  # every upsert changes every row: copy-on-write leaves the old files behind
        upsert("products", _products(24, coherence=0.1 * (k + 1)), settings)
    table = load_table("products", settings)
    data_dir = Path(table.location().removeprefix("file://")) / "data"
    assert len(table.snapshots()) == 4
    before_files = _files(data_dir, ".parquet")
    before = run_sql("SELECT product_id, coherence_mean FROM products ORDER BY 1", settings).to_pylist()

    # Young files are never deleted, whatever the snapshots say (a writer may be committing them).
    assert maintain(["products"], older_than=timedelta(days=1), retain_last=1, settings=settings)[0].deleted_files == 0
    past = time.time() - 3 * 86400
    for path in data_dir.rglob("*"):
        os.utime(path, (past, past))
    result = maintain(["products"], older_than=timedelta(0), retain_last=1, settings=settings)[0]
    table = table.refresh()
    assert len(table.snapshots()) == 1 and result.remaining_snapshots == 1
    live = {Path(t.file.file_path.removeprefix("file://")) for t in table.scan().plan_files()}
    after_files = _files(data_dir, ".parquet")
    assert after_files == live, "exactly the files of the current snapshot remain"
    assert result.deleted_files >= len(before_files - live) > 0
    assert run_sql("SELECT product_id, coherence_mean FROM products ORDER BY 1", settings).to_pylist() == before
    assert all(r["coherence_mean"] == pytest.approx(0.4) for r in before)  # the last upsert's values


def test_maintain_refuses_unknown_tables(settings) -> None:
    from lake.catalog import init_lake
    from lake.maintenance import maintain

    init_lake(settings)
    with pytest.raises(LakeError, match="unknown lake table"):
        maintain(["nope"], settings=settings)
    with pytest.raises(LakeError, match="retain_last"):
        maintain(retain_last=0, settings=settings)


@pytest.mark.parametrize("catalog_backend", ["sqlite", "postgres"], indirect=True)  # ages local files: not S3
def test_maintain_removes_old_orphans_of_killed_writers_and_reports_them(settings) -> None:
    """What a writer killed mid-commit leaves (a data file, manifests, a 0-byte metadata file) goes once old."""
    from lake.catalog import init_lake, load_table
    from lake.maintenance import maintain
    from lake.write import upsert

    init_lake(settings)
    upsert("products", _products(6, coherence=0.5), settings)
    table = load_table("products", settings)
    root = Path(table.location().removeprefix("file://"))
    live = set(root.rglob("*"))
    orphans = [root / "data" / "product_type=L2_IFG" / "start_time_year=2024" / "00000-0-killed.parquet",
               root / "metadata" / "snap-1-0-killed.avro", root / "metadata" / "killed-m0.avro",
               root / "metadata" / "00009-killed.metadata.json"]
    for path in orphans[:-1]:
        path.write_bytes(b"partial")
    orphans[-1].write_bytes(b"")  # what a full disk leaves
    young = maintain(["products"], older_than=timedelta(0), retain_last=1, orphans_older_than=timedelta(hours=1),
                     settings=settings)[0]
    assert young.removed == ()  # younger than a day: could be a commit in progress
    past = time.time() - 2 * 86400
    for path in orphans:
        os.utime(path, (past, past))
    result = maintain(["products"], older_than=timedelta(days=7), retain_last=1,
                      orphans_older_than=timedelta(hours=1), settings=settings)[0]
    assert sorted(result.removed) == sorted(str(p) for p in orphans) and result.deleted_files == 4
    assert set(root.rglob("*")) == live
    assert len(load_table("products", settings).scan().to_arrow()) == 6


def test_maintain_alongside_writers_loses_nothing(settings) -> None:
    """Snapshot expiry conflicting with upserts is retried on both sides."""
    import threading

    from lake.catalog import init_lake, load_table
    from lake.maintenance import maintain
    from lake.write import upsert

    init_lake(settings)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for k in range(8):
                upsert("products", _products(10 + k, coherence=k / 10), settings)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    def tidy() -> None:
        try:
            for _ in range(4):
                maintain(["products"], older_than=timedelta(0), retain_last=1,
                         orphans_older_than=timedelta(hours=1), settings=settings)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write), threading.Thread(target=tidy)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    rows = load_table("products", settings).scan().to_arrow().to_pylist()
    assert sorted(r["product_id"] for r in rows) == [f"P{i:03d}" for i in range(17)]
    assert all(r["coherence_mean"] == pytest.approx(0.7) for r in rows if r["product_id"] == "P016")


def test_a_tagged_data_version_outlives_maintenance_and_reads_as_written(settings) -> None:
    """A model's data version (lake.versions) is kept, with its files, when every other old snapshot expires."""
    from lake.catalog import init_lake, load_table
    from lake.maintenance import maintain
    from lake.versions import tag_version, tagged_versions
    from lake.write import upsert

    init_lake(settings)
    for k in range(4):
        upsert("products", _products(24, coherence=0.1 * (k + 1)), settings)
    table = load_table("products", settings)
    second = sorted(table.snapshots(), key=lambda s: s.timestamp_ms)[1].snapshot_id
    tag_version("products", second, "set-x", settings)
    tag_version("products", second, "set-x", settings)  # again: nothing to do
    with pytest.raises(LakeError, match="already names snapshot"):
        tag_version("products", table.current_snapshot().snapshot_id, "set-x", settings)
    with pytest.raises(LakeError, match="has no snapshot 12345"):
        tag_version("products", 12345, "set-y", settings)
    assert tagged_versions("products", settings) == {"set-x": second}

    result = maintain(["products"], older_than=timedelta(0), retain_last=1, orphans_older_than=timedelta(0),
                      settings=settings)[0]
    table = table.refresh()
    assert result.expired_snapshots == 2 and result.deleted_files > 0
    assert {s.snapshot_id for s in table.snapshots()} == {second, table.current_snapshot().snapshot_id}
    rows = table.scan(snapshot_id=second).to_arrow().to_pylist()  # its files were not deleted as orphans
    assert len(rows) == 24 and all(r["coherence_mean"] == pytest.approx(0.2) for r in rows)  # the 2nd upsert's
