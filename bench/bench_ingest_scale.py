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
from datetime import UTC, date, datetime, timedelta
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


def stage_costs(root: Path, n: int = 40) -> tuple[dict[str, float], float]:
    """CPU ms per product of each stage of an ingest, run one after the other on one thread over ``n`` inputs.

    CPU time (not wall) so the shares hold whatever the load. The stages are the calls the ingest PGE makes
    (``expand_inputs``, ``read_interferograms``, ``write_cog`` x 3, checksums, ``write_l2_ifg`` as a whole,
    ``Publisher.publish``, ``catalogue_products``), plus two encodings that are not the product format
    (DEFLATE level 1, ZSTD level 1) to show what the codec costs. Returns the costs and the load at the start.
    """
    import numpy as np
    from rasterio.enums import Resampling
    from rasterio.io import MemoryFile
    from rasterio.shutil import copy as rio_copy

    from lake.catalog import init_lake
    from lake.catalogue import catalogue_products
    from lake.settings import get_settings
    from pges.ingest.config import IngestParameters
    from pges.ingest.pge import product_id, write_l2_ifg
    from pges.metadata import file_checksum, provenance_block
    from pges.raster import cog_overview_factors, write_cog
    from pges.readers import read_interferograms
    from pges.readers.kinds import expand_inputs
    from pges.storage import Publisher

    inputs = make_inputs(root / "inputs", n)
    costs: dict[str, float] = {}
    load = os.getloadavg()[0]

    def timed(label: str, fn: Any) -> Any:
        cpu = time.process_time()
        out = fn()
        costs[label] = 1000 * (time.process_time() - cpu) / n
        return out

    (root / "copy").mkdir()
    timed("plain copy (phase + coherence)",
          lambda: [shutil.copyfile(f, root / "copy" / f.name) for f in sorted((root / "inputs").iterdir())])
    timed("classify the input folder", lambda: expand_inputs([root / "inputs"]))
    ifgs = timed("read + validate (phase + coherence)", lambda: [read_interferograms(p)[0] for p in inputs])
    cogs, nan = root / "cogs", float("nan")
    cogs.mkdir()
    bands = {"unwrapped phase": lambda g: g.unwrapped_phase.astype(np.float32),
             "LOS displacement": lambda g: g.los_displacement_mm(),
             "coherence": lambda g: g.coherence.astype(np.float32)}
    for k, (band, array) in enumerate(bands.items()):
        timed(f"COG {band} (DEFLATE, overviews)",
              lambda k=k, array=array: [write_cog(cogs / f"{k}-{i}.tif", array(g), g.transform, nodata=nan)
                                        for i, g in enumerate(ifgs)])
    timed("sha256 of the 3 COGs", lambda: [file_checksum(f) for f in cogs.iterdir()])
    for codec, options in (("DEFLATE level 1", {"COMPRESS": "DEFLATE", "LEVEL": 1}),
                           ("ZSTD level 1", {"COMPRESS": "ZSTD", "LEVEL": 1})):
        def alternative(options: dict[str, Any] = options) -> None:
            for i, g in enumerate(ifgs):
                profile = {"driver": "GTiff", "height": SHAPE[0], "width": SHAPE[1], "count": 1, "dtype": "float32",
                           "crs": "EPSG:4326", "transform": g.transform, "nodata": nan}
                with MemoryFile() as mem, mem.open(**profile) as tmp:
                    tmp.write(g.unwrapped_phase.astype(np.float32), 1)
                    tmp.build_overviews(cog_overview_factors(*SHAPE), Resampling.average)  # as write_cog does
                    rio_copy(tmp, str(cogs / f"alt-{i}.tif"), driver="COG", BLOCKSIZE=256,
                             OVERVIEW_RESAMPLING="AVERAGE", RESAMPLING="AVERAGE", **options)
        timed(f"COG unwrapped phase with {codec} instead (not the product format)", alternative)
    p = IngestParameters.model_validate({"mission": "sentinel-1a", "track": 12})
    prov = provenance_block(pge_name="ingest", run_id="bench", inputs=[], parameters={},
                            started_at=datetime.now(UTC))
    staged = root / "staged"

    def products() -> list[tuple[str, Path]]:
        out = []
        for g in ifgs:
            pid = product_id(g, p)
            (staged / pid).mkdir(parents=True)
            out.append((pid, write_l2_ifg(g, p, staged / pid, dict(prov), pid)))
        return out

    mets = timed("whole product (3 COGs, checksums, met.json)", products)
    publisher = Publisher(str(root / "products"))
    uris = timed("publish (rename into place)", lambda: [publisher.publish(pid, m.parent) for pid, m in mets])
    saved = os.environ.get("SARLAKE_HOME")
    os.environ["SARLAKE_HOME"] = str(root / "home")
    try:
        settings = get_settings()
        init_lake(settings)
        timed(f"catalogue ({n} products: one journal record, two commits)",
              lambda: catalogue_products(uris, {"run_id": "bench"}, settings))
    finally:
        if saved is None:
            os.environ.pop("SARLAKE_HOME", None)
        else:
            os.environ["SARLAKE_HOME"] = saved
    return costs, load


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
    with tempfile.TemporaryDirectory(prefix="bench-ingest-stages-") as tmp:
        costs, load = stage_costs(Path(tmp))
    copy_ms = costs.pop("plain copy (phase + coherence)")
    for stage, ms in costs.items():
        rows.append({"name": f"ingest stage, CPU per product: {stage} (serial, load {load:.1f})",
                     "value": ms, "unit": "ms", "target": "",
                     "reference": f"plain copy of the same two files: {copy_ms:.1f} ms CPU per product, same run"})
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
