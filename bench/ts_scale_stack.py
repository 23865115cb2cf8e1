"""Simulated interferogram stacks with truth for the time-series scale benchmark, and sarlake's side of it.

``write_stack`` writes MintPy's ``inputs/ifgramStack.h5`` layout with h5py (datasets date, bperp, dropIfgram,
unwrapPhase in radians; attributes LENGTH, WIDTH, WAVELENGTH, REF_Y/REF_X), block of rows by block, so a
stack larger than memory can be made. Truth: a LOS velocity field (a -40 mm/yr Gaussian bowl on a 6 mm/yr
ramp) times the date, plus per-date noise (5 mm, white: turbulence-like, closes exactly) and per-pair noise
(1.5 mm: decorrelation, breaks closure). Network: every date paired with its 4 next dates (12-day repeat),
truncated to the number of interferograms asked for (always connected). Saved beside it: ``truth.npz`` with
the velocity field (mm/yr, relative to the reference pixel).

``python bench/ts_scale_stack.py sarlake STACK.h5 OUT_DIR MAX_MEMORY_MB`` is sarlake's run on that file
(the project's venv): read blocks of rows from the HDF5 file, reference them to REF_Y/REF_X, radians to LOS
mm, then :func:`pges.timeseries.blocks.invert_blocks` (SBAS, temporal coherence, velocity), the time series
written to ``OUT_DIR/timeseries.h5`` block by block and the velocity to ``OUT_DIR/velocity_mm_yr.npy``: the
same work as MintPy's ``ifgram_inversion.py`` + ``timeseries2velocity.py`` on the same file.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np

WAVELENGTH_M = 0.05546576
NEIGHBOURS = 4
REF_YX = (8, 8)


def network(n_ifg: int) -> tuple[list[date], list[tuple[int, int]]]:
    """Dates (12-day repeat) and the first ``n_ifg`` pairs of each date with its next 4 (i < j)."""
    n_dates = (n_ifg + NEIGHBOURS * (NEIGHBOURS + 1) // 2) // NEIGHBOURS + 2
    pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(i + NEIGHBOURS + 1, n_dates))][:n_ifg]
    n_dates = max(j for _, j in pairs) + 1
    dates = [date(2020, 1, 1) + timedelta(days=12 * k) for k in range(n_dates)]
    return dates, pairs


def velocity_field(size: int) -> np.ndarray:
    """Truth LOS velocity, mm/yr (+ towards the satellite), relative to the reference pixel."""
    y, x = np.mgrid[0:size, 0:size] / size
    v = -40.0 * np.exp(-((x - 0.6) ** 2 + (y - 0.55) ** 2) / (2 * 0.15**2)) + 6.0 * x
    return v - v[REF_YX]


def write_stack(path: Path, n_ifg: int, size: int, seed: int = 0) -> tuple[list[date], list[tuple[int, int]]]:
    """Write the stack (``n_ifg`` x ``size`` x ``size`` float32 radians) and ``truth.npz`` beside it."""
    import h5py

    dates, pairs = network(n_ifg)
    t = np.array([(d - dates[0]).days / 365.25 for d in dates], np.float32)
    v = velocity_field(size).astype(np.float32)
    rng = np.random.default_rng(seed)
    to_rad = np.float32(-4 * np.pi / WAVELENGTH_M / 1000.0)  # LOS mm (+ towards) -> phase (+ = range increase)
    path.parent.mkdir(parents=True, exist_ok=True)
    step = max(1, int(256 * 2**20 // (4 * (n_ifg + len(dates)) * size)))  # ~256 MB of rows at a time
    with h5py.File(path, "w") as f:
        f.create_dataset("date", data=np.array([[a.strftime("%Y%m%d").encode(), b.strftime("%Y%m%d").encode()]
                                                for a, b in ((dates[i], dates[j]) for i, j in pairs)], dtype="S8"))
        f.create_dataset("bperp", data=np.zeros(n_ifg, np.float32))
        f.create_dataset("dropIfgram", data=np.ones(n_ifg, np.bool_))
        phase = f.create_dataset("unwrapPhase", shape=(n_ifg, size, size), dtype=np.float32)
        for r0 in range(0, size, step):
            r1 = min(r0 + step, size)
            d = t[:, None, None] * v[None, r0:r1] + 5.0 * rng.standard_normal((len(dates), r1 - r0, size),
                                                                             dtype=np.float32)
            block = np.empty((n_ifg, r1 - r0, size), np.float32)
            for k, (i, j) in enumerate(pairs):
                block[k] = (d[j] - d[i] + 1.5 * rng.standard_normal((r1 - r0, size), dtype=np.float32)) * to_rad
            block[block == 0] = 1e-6  # 0 means no data to MintPy
            phase[:, r0:r1, :] = block
        f.attrs.update({
            "FILE_TYPE": "ifgramStack", "PROCESSOR": "isce", "LENGTH": str(size), "WIDTH": str(size),
            "WAVELENGTH": str(WAVELENGTH_M), "UNIT": "radian", "PLATFORM": "Sen", "REF_Y": str(REF_YX[0]),
            "REF_X": str(REF_YX[1]), "CENTER_LINE_UTC": "43200", "ORBIT_DIRECTION": "ASCENDING",
        })
    np.savez(path.parent / "truth.npz", velocity_mm_yr=v)
    return dates, pairs


def sarlake(stack_path: Path, out: Path, max_memory_mb: float) -> None:
    """sarlake's run on the HDF5 stack (see the module docstring)."""
    from datetime import datetime

    import h5py

    from pges.timeseries.blocks import invert_blocks
    from pges.timeseries.process import to_los_mm

    out.mkdir(parents=True, exist_ok=True)
    with h5py.File(stack_path, "r") as f:
        phase = f["unwrapPhase"]
        wavelength = float(f.attrs["WAVELENGTH"])
        ry, rx = int(f.attrs["REF_Y"]), int(f.attrs["REF_X"])
        d12 = [(datetime.strptime(a.decode(), "%Y%m%d").date(), datetime.strptime(b.decode(), "%Y%m%d").date())
               for a, b in f["date"][:]]
        dates = sorted({d for pair in d12 for d in pair})
        index = {d: k for k, d in enumerate(dates)}
        pairs = [(index[a], index[b]) for a, b in d12]
        ref = np.asarray(phase[:, ry, rx], np.float64)

        def prepare(block: np.ndarray) -> np.ndarray:
            b = np.where(block == 0, np.nan, block).astype(np.float64)
            b -= ref[:, None, None]
            return to_los_mm(b, wavelength)

        with h5py.File(out / "timeseries.h5", "w") as g:
            ts = g.create_dataset("timeseries", shape=(len(dates), *phase.shape[1:]), dtype=np.float32)
            g.create_dataset("date", data=np.array([d.strftime("%Y%m%d").encode() for d in dates], dtype="S8"))

            def sink(cut: slice, block: np.ndarray) -> None:
                ts[:, cut, :] = block.astype(np.float32)

            res = invert_blocks(phase, pairs, dates, wavelength, max_memory_mb=max_memory_mb, prepare=prepare,
                                sink=sink)
    np.save(out / "velocity_mm_yr.npy", res.velocity)


if __name__ == "__main__":
    if sys.argv[1] == "sarlake":
        sarlake(Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]))
    elif sys.argv[1] == "write":
        write_stack(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
