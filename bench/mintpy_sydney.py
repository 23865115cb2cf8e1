"""Run MintPy's SBAS inversion and velocity fit on a stack handed over as .npz (runs in bench/mintpy-env).

Usage: ``bench/mintpy-env/bin/python bench/mintpy_sydney.py STACK.npz WORKDIR``. Writes MintPy's
``inputs/ifgramStack.h5`` directly with h5py (the layout MintPy's loaders produce: datasets date, bperp,
dropIfgram, unwrapPhase [radians], coherence; attributes LENGTH, WIDTH, WAVELENGTH, REF_Y/REF_X and the
geotransform), runs ``ifgram_inversion.py`` and ``timeseries2velocity.py`` as a user would, and saves
``velocity_mm_yr.npy`` plus ``seconds.txt`` (wall time of the two MintPy commands).

Not part of the project: a benchmark reference, imported by nothing in sarlake, never run by ``make test``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np


def write_stack(npz: Path, work: Path) -> Path:
    d = np.load(npz)
    phase = np.nan_to_num(d["phase_rad"].astype(np.float32), nan=0.0)  # MintPy: 0 = no data
    n, length, width = phase.shape
    x0, dx, y0, dy = (float(v) for v in d["geotransform"])
    attrs = {
        "FILE_TYPE": "ifgramStack", "PROCESSOR": "roipac", "LENGTH": str(length), "WIDTH": str(width),
        "WAVELENGTH": str(float(d["wavelength_m"])), "UNIT": "radian", "PLATFORM": "Envisat",
        "X_FIRST": str(x0), "X_STEP": str(dx), "Y_FIRST": str(y0), "Y_STEP": str(dy), "X_UNIT": "degrees",
        "Y_UNIT": "degrees", "REF_Y": str(int(d["ref_yx"][0])), "REF_X": str(int(d["ref_yx"][1])),
        "CENTER_LINE_UTC": "43200", "ORBIT_DIRECTION": "DESCENDING",
    }
    path = work / "inputs" / "ifgramStack.h5"
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset("date", data=np.array([[a.encode(), b.encode()] for a, b in d["date12"]], dtype="S8"))
        f.create_dataset("bperp", data=np.zeros(n, np.float32))
        f.create_dataset("dropIfgram", data=np.ones(n, np.bool_))
        f.create_dataset("unwrapPhase", data=phase)
        f.create_dataset("coherence", data=np.nan_to_num(d["coherence"].astype(np.float32), nan=0.0))
        f.attrs.update(attrs)
    return path


def main() -> None:
    npz, work = Path(sys.argv[1]), Path(sys.argv[2])
    stack = write_stack(npz, work)
    bin_dir = Path(sys.executable).parent
    t = time.perf_counter()
    # unweighted least squares, no coherence mask: the same estimator sarlake's SBAS uses
    subprocess.run([bin_dir / "ifgram_inversion.py", stack, "-w", "no", "--update"],
                   cwd=work, check=True, capture_output=True)
    subprocess.run([bin_dir / "timeseries2velocity.py", work / "timeseries.h5", "-o", work / "velocity.h5"],
                   cwd=work, check=True, capture_output=True)
    seconds = time.perf_counter() - t
    with h5py.File(work / "velocity.h5") as f:
        velocity = f["velocity"][:].astype(np.float64) * 1000.0  # m/yr -> mm/yr, positive towards the satellite
    np.save(work / "velocity_mm_yr.npy", velocity)
    (work / "seconds.txt").write_text(f"{seconds}\n")


if __name__ == "__main__":
    main()
