"""Time series at scale: sarlake's chunked SBAS beside MintPy's network inversion on the same simulated stacks.

For each size (interferograms x pixels) one stack with truth is written as MintPy's ``ifgramStack.h5``
(bench/ts_scale_stack.py). On that one file, in the same run, one after the other:

* MintPy 1.6.4 (its own venv, bench/mintpy_env.sh): ``ifgram_inversion.py -w no --ram R`` (unweighted SBAS,
  the estimator sarlake uses) then ``timeseries2velocity.py``;
* sarlake: ``python bench/ts_scale_stack.py sarlake`` (HDF5 blocks -> ``pges.timeseries.blocks.invert_blocks``
  with ``max_memory_mb`` = R, time series written to HDF5, velocity fitted).

Each command is a child process timed from start to exit, its peak resident memory read from ``os.wait4``
(ru_maxrss of the process). Velocity RMSE of each against the truth over every pixel both give.
Sizes: ``SARLAKE_BENCH_TS_SIZES`` ("50x512,200x2048", ...); ``make bench-large`` adds 1,000 x 512^2 and 200
and 1,000 x 2048^2 (MintPy alone ran over 23 minutes on 1,000 x 512^2 on 2 shared cores without finishing).
Plots: docs/img/ts_scale_wall.png and docs/img/ts_scale_memory.png.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ENV_PY = ROOT / "bench" / "mintpy-env" / "bin" / "python"
DEFAULT_SIZES = "50x512,200x512,50x2048"
LARGE_SIZES = DEFAULT_SIZES + ",1000x512,200x2048,1000x2048"
MEMORY_MB = float(os.environ.get("SARLAKE_BENCH_TS_MEMORY_MB", "2048"))
IMG = ROOT / "docs" / "img"


def _measure(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS MiB) of the child, failing loudly on a non-zero exit."""
    t = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} exited {proc.returncode}: {out.decode(errors='replace')[-3000:]}")
    return seconds, usage.ru_maxrss / 1024.0


def _rmse(v: np.ndarray, truth: np.ndarray) -> tuple[float, int]:
    ok = np.isfinite(v) & (v != 0)
    return float(np.sqrt(np.mean((v[ok] - truth[ok]) ** 2))), int(ok.sum())


def _one(n_ifg: int, size: int, tmp: Path) -> dict:
    stack = tmp / "inputs" / "ifgramStack.h5"
    load = os.getloadavg()[0]
    t_write, _ = _measure([sys.executable, ROOT / "bench" / "ts_scale_stack.py", "write", stack, n_ifg, size], ROOT)
    truth = np.load(stack.parent / "truth.npz")["velocity_mm_yr"].astype(np.float64)
    bin_dir = ENV_PY.parent
    ram = f"{MEMORY_MB / 1024:.3f}"
    mp = tmp / "mintpy"
    mp.mkdir()
    t1, m1 = _measure([bin_dir / "ifgram_inversion.py", stack, "-w", "no", "--ram", ram, "-o", mp / "timeseries.h5",
                       mp / "temporalCoherence.h5", mp / "numInvIfgram.h5"], mp)
    t2, m2 = _measure([bin_dir / "timeseries2velocity.py", mp / "timeseries.h5", "-o", mp / "velocity.h5",
                       "--ram", ram], mp)
    velocity = subprocess.run([ENV_PY, "-c", "import h5py,numpy,sys; numpy.save(sys.argv[2], "
                               "h5py.File(sys.argv[1])['velocity'][:])", mp / "velocity.h5", mp / "v.npy"],
                              check=True, capture_output=True)
    del velocity
    theirs = np.load(mp / "v.npy").astype(np.float64) * 1000.0
    shutil.rmtree(mp)  # room on disk for sarlake's time series
    t_ours, m_ours = _measure([sys.executable, ROOT / "bench" / "ts_scale_stack.py", "sarlake", stack, tmp / "ours",
                               MEMORY_MB], ROOT)
    ours = np.load(tmp / "ours" / "velocity_mm_yr.npy").astype(np.float64)
    r_ours, n_ours = _rmse(ours, truth)
    r_theirs, n_theirs = _rmse(theirs, truth)
    return {"n_ifg": n_ifg, "size": size, "sarlake_s": t_ours, "mintpy_s": t1 + t2, "sarlake_mib": m_ours,
            "mintpy_mib": max(m1, m2), "sarlake_rmse": r_ours, "mintpy_rmse": r_theirs, "pixels": n_ours,
            "pixels_mintpy": n_theirs, "load": load, "load_after": os.getloadavg()[0], "write_s": t_write,
            "stack_mib": n_ifg * size * size * 4 / 2**20}


def _plot(results: list[dict], suffix: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    IMG.mkdir(parents=True, exist_ok=True)
    names = []
    for key, label, fname in (("_s", "wall time, s", "ts_scale_wall"), ("_mib", "peak memory, MiB", "ts_scale_memory")):
        fig, ax = plt.subplots(figsize=(6, 4))
        for size, marker in ((512, "o"), (2048, "s")):
            rs = sorted((r for r in results if r["size"] == size), key=lambda r: r["n_ifg"])
            if not rs:
                continue
            n = [r["n_ifg"] for r in rs]
            ax.plot(n, [r["sarlake" + key] for r in rs], marker=marker, color="C0", label=f"sarlake {size}²")
            ax.plot(n, [r["mintpy" + key] for r in rs], marker=marker, color="C1", ls="--", label=f"MintPy {size}²")
        if key == "_mib":
            ax.axhline(MEMORY_MB, color="grey", lw=0.8, ls=":", label=f"budget {MEMORY_MB:.0f} MB (both)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("interferograms")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
        ax.set_title(f"SBAS inversion + velocity: {label.split(',')[0]}")
        fig.tight_layout()
        path = IMG / f"{fname}{suffix}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        names.append(path.relative_to(ROOT / "docs").as_posix())
    return names


def run() -> list[dict]:
    """Run every size; return the rows (one per size and measure) and write the plots."""
    if not ENV_PY.exists():
        subprocess.run(["bash", str(ROOT / "bench" / "mintpy_env.sh")], check=True)
    large = os.environ.get("SARLAKE_BENCH_LARGE") == "1"
    spec = os.environ.get("SARLAKE_BENCH_TS_SIZES") or (LARGE_SIZES if large else DEFAULT_SIZES)
    sizes = [tuple(int(v) for v in s.split("x")) for s in spec.split(",")]
    results = []
    for n_ifg, size in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-ts-scale-") as tmp:
            r = _one(n_ifg, size, Path(tmp))
        results.append(r)
        print(json.dumps(r), flush=True)
    return rows_of(results, _plot(results, "-large" if large else ""))


def rows_of(results: list[dict], plots: list[str]) -> list[dict]:
    """The benchmark rows of the measured sizes."""
    rows = []
    for r in results:
        tag = f"{r['n_ifg']:,} ifgs x {r['size']}² px ({r['stack_mib']:,.0f} MiB stack; load {r['load']:.1f}" \
              f"->{r['load_after']:.1f})"
        rows += [
            {"name": f"SBAS + velocity wall time, sarlake, {tag}", "value": round(r["sarlake_s"], 1), "unit": "s",
             "target": "<= MintPy",
             "reference": f"MintPy ifgram_inversion + timeseries2velocity, same file: {r['mintpy_s']:.1f} s "
             f"(MintPy / sarlake = {r['mintpy_s'] / r['sarlake_s']:.2f})"},
            {"name": f"SBAS + velocity peak memory, sarlake, {tag}", "value": round(r["sarlake_mib"]), "unit": "MiB",
             "target": f"bounded by max_memory_mb={MEMORY_MB:.0f}",
             "reference": f"MintPy --ram {MEMORY_MB / 1024:.1f} GB: {r['mintpy_mib']:.0f} MiB"},
            {"name": f"velocity RMSE vs truth, sarlake, {tag}", "value": round(r["sarlake_rmse"], 3), "unit": "mm/yr",
             "target": "<= MintPy",
             "reference": f"MintPy: {r['mintpy_rmse']:.3f} mm/yr ({r['pixels']:,} / {r['pixels_mintpy']:,} px)"},
        ]
    if plots:
        rows.append({"name": "plots", "value": None, "unit": "", "target": None,
                     "reference": " ".join(f"![{p}]({p})" for p in plots)})
    return rows


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
