"""Benchmark of the archive roll: 1,000 small products delivered end to end vs a plain copy of the same bytes.

The roll (two runs of every step, with the simulated DAAC answering between them) copies each file hashing
it, reads the archive copy back to verify size and sha256, writes one CNM-S per product, reads the CNM-R
answers, re-points the catalogue and deletes the hot copies, recording every step in ``archive_transfers``.
The reference is ``shutil.copyfile`` of exactly the same files, measured in the same run on the same disk.
The simulated DAAC's own checking time is the DAAC's, not the roll's: it is reported separately.

Each round makes its own products, then times a plain copy of them and the roll of them, the disk synced before
each; the figures are the median round's (by the roll / plain-copy ratio) and every round's ratio is listed: on
this virtual disk creating thousands of files costs 2-8x more at some minutes than at others, so one round decides
little. Run as ``python bench/bench_archive.py [--products 1000] [--kib 256] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FILES = {"unw.tif": 0.55, "coh.tif": 0.3, "browse.png": 0.1}  # share of the product's bytes per file


def _make(settings: Any, n: int, kib: int) -> int:
    from lake.write import upsert

    rows, total = [], 0
    for i in range(n):
        pid = f"S1-GUNW-A-R-044-tops-bench{i:05d}"
        folder = Path(settings.products_root) / pid
        folder.mkdir(parents=True)
        assets = {}
        for name, share in FILES.items():
            data = os.urandom(int(kib * 1024 * share))
            (folder / name).write_bytes(data)
            assets[name] = {"href": name, "sarlake:sha256": hashlib.sha256(data).hexdigest()}
            total += len(data)
        met = json.dumps({"id": pid, "assets": assets}).encode()
        (folder / f"{pid}.met.json").write_bytes(met)
        total += len(met)
        rows.append({"product_id": pid, "product_type": "L2_IFG", "version": "1", "status": "published",
                     "start_time": datetime(2024, 1, 1 + i % 28, tzinfo=UTC), "uri": str(folder),
                     "met_uri": str(folder / f"{pid}.met.json"), "assets": json.dumps(assets)})
    upsert("products", rows, settings)
    return total


def _cpu() -> float:
    """CPU seconds (user + system) this process has used, all threads."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(products: int = 1000, kib: int = 256, rounds: int = 3) -> list[dict[str, Any]]:
    """Roll ``products`` products of ``kib`` KiB each, ``rounds`` times; return the benchmark rows."""
    saved = os.environ.get("SARLAKE_HOME")
    try:
        with tempfile.TemporaryDirectory(prefix="sarlake-bench-archive-") as tmp:
            # Every round's files stay until the end: deleting thousands of files makes the file creation of the
            # next minute slower on this disk, and the next round's plain copy would pay for this round's roll.
            measured = [_round(Path(tmp) / f"round{k}", products, kib) for k in range(rounds)]
            floor = _floor(Path(tmp) / "floor", products, kib)  # last: its deletes must not slow a measured round
    finally:
        if saved is None:
            os.environ.pop("SARLAKE_HOME", None)
        else:
            os.environ["SARLAKE_HOME"] = saved
    return _rows(measured, products, kib) + [_floor_row(floor, products)]


def _fresh_products(tmp: Path, products: int, kib: int) -> tuple[Any, Path, int]:
    """A new lake under ``tmp`` with ``products`` catalogued products: its settings, hot folder and bytes."""
    os.environ["SARLAKE_HOME"] = str(tmp / "home")
    from lake.catalog import init_lake
    from lake.settings import get_settings

    settings = get_settings()
    init_lake(settings)
    nbytes = _make(settings, products, kib)
    return settings, Path(settings.products_root), nbytes


def _plain_copy(hot: Path, dest: Path) -> float:
    """Seconds to copy every file under ``hot`` to ``dest`` with ``shutil.copyfile`` (the reference copy)."""
    t0 = time.perf_counter()
    for src in hot.rglob("*"):
        if src.is_file():
            dst = dest / src.relative_to(hot)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    return time.perf_counter() - t0


def _floor(tmp: Path, products: int, kib: int) -> dict[str, float]:
    """What any roll must do beyond a plain copy, as bare system calls on fresh products of the same size.

    A plain copy, then reading back and hashing every copied byte (the verify), then deleting the hot files
    and folders (the hot delete), each timed from a synced disk; no message, no catalogue, no thread.
    """
    from lake.archive_files import hash_uri  # what the roll's verify reads back with

    settings, hot, _ = _fresh_products(tmp, products, kib)
    os.sync()
    load = os.getloadavg()[0]
    plain_s = _plain_copy(hot, tmp / "plain-copy")
    os.sync()
    t0 = time.perf_counter()
    for f in (tmp / "plain-copy").rglob("*"):
        if f.is_file():
            hash_uri(str(f), settings)
    read_s = time.perf_counter() - t0
    os.sync()
    t0 = time.perf_counter()
    for folder in list(hot.iterdir()):
        shutil.rmtree(folder)
    delete_s = time.perf_counter() - t0
    return {"plain_s": plain_s, "read_s": read_s, "delete_s": delete_s, "load": load}


def _floor_row(floor: dict[str, float], products: int) -> dict[str, Any]:
    plain_s, read_s, delete_s = floor["plain_s"], floor["read_s"], floor["delete_s"]
    return {"name": "plain copy / (plain copy + re-read and hash + hot delete), bare system calls on one thread",
            "value": plain_s / (plain_s + read_s + delete_s), "unit": "x", "target": "",
            "reference": f"plain copy {plain_s:.2f} s ({products / plain_s:,.0f} products/s), re-reading and "
                         f"hashing the copies {read_s:.2f} s, deleting the hot files {delete_s:.2f} s, each from a "
                         f"synced disk, one after the other; no message, catalogue or thread; "
                         f"1-minute load average {floor['load']:.1f}"}


def _round(tmp: Path, products: int, kib: int) -> dict[str, Any]:
    """One round: fresh products, a plain copy of them, then the roll of them; both start from a synced disk."""
    from lake.archive_roll import run_roll
    from sarlake.workflows.daac_simulator import SimulatedDaac

    settings, hot, nbytes = _fresh_products(tmp, products, kib)

    os.sync()  # the products' own write-back is not charged to either side
    load = os.getloadavg()[0]
    c0 = _cpu()
    plain_s = _plain_copy(hot, tmp / "plain-copy")  # the reference: a plain copy of the same files
    plain_cpu = _cpu() - c0

    later = datetime.now(UTC) + timedelta(days=settings.daac.hot_retention_days + 1)
    daac = SimulatedDaac(tmp / "daac", settings)
    os.sync()  # nor the plain copy's write-back to the roll
    c0 = _cpu()
    t0 = time.perf_counter()
    first = run_roll(settings, now=later)
    t1 = time.perf_counter()
    c1 = _cpu()
    answered = daac.serve_folder()
    c2 = _cpu()
    t2 = time.perf_counter()
    second = run_roll(settings, now=later)
    t3 = time.perf_counter()
    delivered = second["expire"].moved
    if delivered != products or answered.success != products or any(hot.iterdir()):
        raise RuntimeError(f"roll incomplete: {delivered}/{products} delivered, DAAC {answered}")
    return {"load": load, "bytes": nbytes, "plain_s": plain_s, "plain_cpu": plain_cpu,
            "roll_s": (t1 - t0) + (t3 - t2), "roll_cpu": (c1 - c0) + (_cpu() - c2), "daac_s": t2 - t1,
            "answered": answered.success, "steps": {name: first[name].seconds + second[name].seconds for name in first}}


def _rows(measured: list[dict[str, Any]], products: int, kib: int) -> list[dict[str, Any]]:
    """The median round's figures (by roll/plain-copy ratio), with every round's ratio beside them."""
    for m in measured:
        m["ratio"] = m["plain_s"] / m["roll_s"]  # (bytes / roll_s) / (bytes / plain_s)
    ordered = sorted(measured, key=lambda m: m["ratio"])
    med = ordered[len(ordered) // 2]
    steps, mb, plain_s, roll_s = med["steps"], med["bytes"] / 1e6, med["plain_s"], med["roll_s"]
    each = ", ".join(f"{m['ratio']:.2f}x ({products / m['plain_s']:,.0f} vs {products / m['roll_s']:,.0f} products/s)"
                     for m in measured)
    ref = f"plain copy of the same {products} products ({mb:.0f} MB), same round: {products / plain_s:,.0f} products/s"
    return [
        {"name": f"archive roll, {products} products of {kib} KiB (median of {len(measured)} rounds)",
         "value": products / roll_s, "unit": "products/s", "target": "", "reference": ref},
        {"name": "archive roll throughput", "value": mb / roll_s, "unit": "MB/s", "target": "",
         "reference": f"plain copy: {mb / plain_s:,.1f} MB/s"},
        {"name": "archive roll / plain copy", "value": med["ratio"], "unit": "x", "target": ">= 0.5",
         "reference": f"median of {len(measured)} rounds, each on its own products (plain copy then roll, same bytes, "
                      f"same disk, synced before each): {each}; 1-minute load average {med['load']:.1f}"},
        {"name": "archive roll / plain copy, per CPU second", "value": med["plain_cpu"] / med["roll_cpu"], "unit": "x",
         "target": "", "reference": "process CPU time (user + system, all threads, with the page reclaim the kernel "
                                    f"charges to it): roll {med['roll_cpu']:.2f} s, "
                                    f"plain copy {med['plain_cpu']:.2f} s"},
        {"name": "archive roll, wall time by step (both runs)", "value": sum(steps.values()), "unit": "s",
         "target": "", "reference": f"select (with reading transfer states) {steps['select']:.2f} s, copy+verify "
                                    f"{steps['copy'] + steps['verify']:.2f} s, notify {steps['notify']:.2f} s, "
                                    f"receive {steps['receive']:.2f} s, catalogue+expire "
                                    f"{steps['catalogue'] + steps['expire']:.2f} s; plain copy {plain_s:.2f} s"},
        {"name": "simulated DAAC answering (not part of the roll)", "value": med["daac_s"], "unit": "s",
         "target": "", "reference": f"{med['answered']} CNM-R SUCCESS"},
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--kib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for row in run(args.products, args.kib, args.rounds):
        print(row)
