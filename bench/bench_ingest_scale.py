"""Ingest at scale: products/s of ``sarlake ingest`` for 100, 300 and 1,000 external GeoTIFF interferograms.

Each interferogram is a 512 x 512 float32 unwrapped-phase GeoTIFF with its coherence GeoTIFF beside it (HyP3
names: ``..._unw_phase.tif`` + ``..._corr.tif``), all in one folder as a user downloads them. The workflow
reads and validates every input, writes the L2_IFG COGs and met.json (checksums), publishes each product and
catalogues them all (one journal record, one ``provenance`` and one ``products`` commit per ingest). The
reference, measured in the same run on the same files, is a plain copy of them (``shutil.copyfile``), i.e.
the floor of moving the bytes with no reading, checking or cataloguing. ``make bench-large``
(``SARLAKE_BENCH_LARGE=1``) adds 3,000.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
#: sizes of `make bench`, and of `make bench-large` (SARLAKE_BENCH_LARGE=1), which adds 3,000
SIZES = (100, 300, 1000)
LARGE_SIZES = (100, 300, 1000, 3000)
SHAPE = (512, 512)


def make_inputs(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """``n`` interferograms (+ coherence) of :data:`SHAPE` on a 0.0001-degree EPSG:4326 grid; returns the phases."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows, cols = SHAPE
    r, c = np.mgrid[0:rows, 0:cols]
    bump = np.exp(-((r - rows / 2) ** 2 + (c - cols / 2) ** 2) / (2 * (rows / 6) ** 2)).astype(np.float32)
    profile = {"driver": "GTiff", "height": rows, "width": cols, "count": 1, "dtype": "float32",
               "crs": "EPSG:4326", "transform": from_origin(150.9, -33.8, 0.0001, 0.0001), "nodata": float("nan")}
    paths = []
    day0 = date(2020, 1, 1)
    for i in range(n):
        first = day0 + timedelta(days=6 * (i // 3))
        second = first + timedelta(days=12 * (1 + i % 3))
        stem = f"S1_{i:05d}_{first:%Y%m%d}_{second:%Y%m%d}"
        phase = 6.0 * bump * (1 + i % 3) + rng.normal(0, 0.3, SHAPE).astype(np.float32)
        coherence = np.clip(0.7 + rng.normal(0, 0.1, SHAPE), 0, 1).astype(np.float32)
        with rasterio.open(folder / f"{stem}_unw_phase.tif", "w", **profile) as dst:
            dst.write(phase, 1)
            dst.update_tags(WAVELENGTH="0.05546576")
        with rasterio.open(folder / f"{stem}_corr.tif", "w", **profile) as dst:
            dst.write(coherence, 1)
        paths.append(folder / f"{stem}_unw_phase.tif")
    return paths


def _copy_rate(src: Path, dst: Path) -> tuple[float, float]:
    """Products/s of a plain copy of every file in ``src`` (phase + coherence per product), and its CPU ms/product."""
    dst.mkdir(parents=True)
    files = sorted(src.iterdir())
    t, cpu = time.perf_counter(), time.process_time()
    for f in files:
        shutil.copyfile(f, dst / f.name)
    return len(files) / 2 / (time.perf_counter() - t), 1000 * (time.process_time() - cpu) / (len(files) / 2)


def measure(n: int, root: Path) -> dict[str, float]:
    """Ingest ``n`` fresh interferograms into a new lake under ``root``; products/s of ingest and of the copy."""
    from lake.catalog import init_lake
    from lake.query import run_sql
    from lake.settings import get_settings
    from sarlake.workflows.ingest import ingest_and_catalogue

    inputs = root / "inputs"
    make_inputs(inputs, n)
    saved = os.environ.get("SARLAKE_HOME")
    os.environ["SARLAKE_HOME"] = str(root / "home")
    try:
        settings = get_settings()
        init_lake(settings)
        copy_rate, copy_cpu = _copy_rate(inputs, root / "copy")
        load = os.getloadavg()[0]
        t, cpu = time.perf_counter(), time.process_time()
        report = ingest_and_catalogue([str(inputs)], mission="sentinel-1a", track=12)
        seconds = time.perf_counter() - t
        cpu_ms = 1000 * (time.process_time() - cpu) / n  # all threads of this process: robust to the load
        counted = run_sql("SELECT count(*) AS n FROM products", settings).to_pylist()[0]["n"]
        if len(report.ids) != n or counted != n:
            raise RuntimeError(f"ingested {len(report.ids)}, catalogued {counted}, expected {n}")
    finally:
        if saved is None:
            os.environ.pop("SARLAKE_HOME", None)
        else:
            os.environ["SARLAKE_HOME"] = saved
    return {"rate": n / seconds, "seconds": seconds, "copy_rate": copy_rate, "load": load, "cpu_ms": cpu_ms,
            "copy_cpu_ms": copy_cpu, "load_end": os.getloadavg()[0]}


def run(sizes: tuple[int, ...] | None = None) -> list[dict[str, Any]]:
    """Rows for docs/benchmarks.md, and the curve in docs/img/ingest-scale.png (ingest-scale-large.png)."""
    large = os.environ.get("SARLAKE_BENCH_LARGE") == "1"
    sizes = sizes or (LARGE_SIZES if large else SIZES)
    rows, curve = [], []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            m = measure(n, Path(tmp))
        curve.append((n, m))
        rows.append({"name": f"ingest + catalogue {n:,} GeoTIFF interferograms 512x512 "
                             f"(load {m['load']:.1f} -> {m['load_end']:.1f})",
                     "value": m["rate"], "unit": "products/s", "target": ">= 0.5 x the copy",
                     "reference": f"plain copy of the same files, same run: {m['copy_rate']:,.0f} products/s "
                                  f"(ingest / copy = {m['rate'] / m['copy_rate']:.3f}); "
                                  f"ingest took {m['seconds']:.0f} s; CPU per product (all threads): ingest "
                                  f"{m['cpu_ms']:.0f} ms, copy {m['copy_cpu_ms']:.1f} ms "
                                  f"(ratio {m['copy_cpu_ms'] / m['cpu_ms']:.3f})"})
    _plot(curve, "ingest-scale-large.png" if large else "ingest-scale.png")
    return rows


def _plot(curve: list[tuple[int, dict[str, float]]], name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [n for n, _ in curve]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(ns, [m["rate"] for _, m in curve], "o-", label="sarlake ingest + catalogue")
    ax.plot(ns, [m["copy_rate"] for _, m in curve], "s--", label="plain copy of the same files")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("interferograms per ingest (512 x 512)")
    ax.set_ylabel("products / s")
    ax.set_title("Ingest throughput vs batch size (same run)")
    ax.legend()
    fig.tight_layout()
    out = HERE.parent / "docs" / "img" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args()
    for row in run(tuple(args.sizes)):
        print(row)
