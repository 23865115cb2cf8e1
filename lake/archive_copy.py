"""The roll's ``copy`` and ``verify`` steps: each file to the archive, hashed as it is read, then read back.

:func:`copy_and_verify` is both in one commit, as :func:`lake.archive_roll.run_roll` runs them.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from lake import archive_step, storage
from lake.archive_files import copy_file, discard_archive_copy, hash_uri, hot_mismatch, mismatch_reason, remove_partials
from lake.archive_step import Known, RollReport, StepFailure, fail, io_threads, run_each, waiting_for
from lake.archive_transfers import Transfer, record
from lake.settings import Settings, is_remote

__all__ = ["copy", "copy_and_verify", "verify"]


def _copy_one(t: Transfer, settings: Settings, now: datetime) -> tuple[dict[str, Any], bool]:
    """Copy one transfer's files to the archive: its ``copied`` row, or a ``failed`` one."""
    archive = t.archive_uri or ""
    remove_partials(archive)  # left by a copy killed mid-file
    try:
        files = []
        made: set[str] = set()
        for f in t.files:
            dst = storage.join(archive, f["name"])
            try:
                if not is_remote(dst) and (folder := os.path.dirname(storage.local_str(dst))) not in made:
                    os.makedirs(folder, exist_ok=True)  # once per folder of the product, not per file
                    made.add(folder)
                digest, size = copy_file(f["hot_uri"], dst, settings, hash_it=not f.get("sha256"))
            except FileNotFoundError as exc:
                if not storage.exists(f["hot_uri"], settings):
                    raise StepFailure(f"hot file vanished: {f['hot_uri']}") from exc
                raise StepFailure(f"archive refused the write of {dst}: {exc}") from exc
            except Exception as exc:  # noqa: BLE001 - OS or S3 errors: name the file, keep the product hot
                raise StepFailure(f"archive refused the write of {dst}: {exc}") from exc
            if digest and f.get("sha256") and f["sha256"] != digest:
                raise StepFailure(hot_mismatch(f["hot_uri"], digest, f["sha256"]))
            files.append({**f, "uri": dst, "size": size, "sha256": digest or f["sha256"]})
            archive_step.failpoint("copy:after-file")
    except StepFailure as exc:
        discard_archive_copy(t, settings)
        return fail(t, "copy", str(exc), settings, now), False
    return t.row("copied", files=files), True


def copy(settings: Settings, now: datetime) -> RollReport:
    """Copy every selected transfer's files to its archive folder (one DAG task): ``copied`` or ``failed`` rows."""
    return run_each(waiting_for(settings, "selected"), lambda t: _copy_one(t, settings, now), "copy", settings)


def copy_and_verify(settings: Settings, now: datetime, known: Known) -> tuple[RollReport, RollReport]:
    """Copy, then verify, each selected transfer on the I/O threads; record both steps' rows in one commit.

    Each transfer is verified as soon as its copy is done (the archive copy is re-read from the archive's
    file system or object store, as the verify step always does); nothing leaves the lake before the
    ``verified`` row is recorded, so recording ``copied`` and ``verified`` together loses no crash safety.
    """
    from concurrent.futures import ThreadPoolExecutor

    copied, verified = RollReport(), RollReport()
    waiting = waiting_for(settings, "selected", known)
    if not waiting:
        return copied, verified

    def one(t: Transfer) -> tuple[list[dict[str, Any]], bool, bool | None]:
        row, ok = _copy_one(t, settings, now)
        if not ok:
            return [row], False, None
        checked, good = _verify_one(t, settings, now)
        return [row, checked], True, good

    with ThreadPoolExecutor(max_workers=io_threads(settings)) as pool:
        results = list(pool.map(one, waiting))
    for _, copy_ok, verify_ok in results:
        copied.moved += copy_ok
        copied.failed += not copy_ok
        if verify_ok is not None:
            verified.moved += verify_ok
            verified.failed += not verify_ok
    archive_step.failpoint("copy:before-record")
    archive_step.failpoint("verify:before-record")
    record([row for rows, _, _ in results for row in rows], settings)
    return copied, verified


def _verify_one(t: Transfer, settings: Settings, now: datetime) -> tuple[dict[str, Any], bool]:
    """Re-read one transfer's archive copies: its ``verified`` row, or a ``failed`` one."""
    problem = None
    for f in t.files:
        try:
            digest, size = hash_uri(f["uri"], settings)
        except FileNotFoundError:
            problem = f"archive copy missing: {f['uri']}"
            break
        if size != f["size"]:
            problem = f"size mismatch at the archive for {f['uri']}: {size} != {f['size']} bytes"
            break
        if digest != f["sha256"]:
            problem = mismatch_reason(f, digest, settings)
            break
    if problem:
        discard_archive_copy(t, settings)
        return fail(t, "verify", problem, settings, now), False
    return t.row("verified"), True


def verify(settings: Settings, now: datetime) -> RollReport:
    """Read every copied transfer's archive files back (one DAG task): ``verified`` or ``failed`` rows."""
    return run_each(waiting_for(settings, "copied"), lambda t: _verify_one(t, settings, now), "verify", settings)
