"""MintPy beside sarlake on the real Sydney Envisat stack (17 ROI_PAC interferograms, 13 dates, 72 x 47).

Both get the same interferograms (read by sarlake's readers, radians) and the same reference point
(-34.175, 150.915), and both solve SBAS by unweighted least squares and fit a line per pixel. sarlake runs
its time-series PGE as one CLI process (``python -m pges timeseries``); MintPy (1.6.4, in its own venv
``bench/mintpy-env`` made by ``bench/mintpy_env.sh``, never in the project's lock) runs
``ifgram_inversion.py`` + ``timeseries2velocity.py`` on an ``ifgramStack.h5`` written with h5py
(``bench/mintpy_sydney.py``). Reported: the velocity difference (RMSE after the median offset, since the
two reference the point differently: sarlake a small window, MintPy one pixel; correlation) and the wall
times of the two CLIs (on a stack this small, process start and imports dominate both).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "envisat_sydney_roipac"
ENV_PY = ROOT / "bench" / "mintpy-env" / "bin" / "python"
REFERENCE = (-34.175, 150.915)


def _stack_npz(path: Path) -> None:
    from pges.readers import read_interferogram

    unw = sorted((DATA / "roipac_unw").glob("*.unw"))
    ifgs = [read_interferogram(p, coherence_dirs=[DATA / "gamma_coherence"]) for p in unw]
    t = ifgs[0].transform
    row, col = int((REFERENCE[0] - t.f) / t.e), int((REFERENCE[1] - t.c) / t.a)
    np.savez(path, phase_rad=np.stack([i.unwrapped_phase for i in ifgs]),
             coherence=np.stack([i.coherence for i in ifgs]),
             date12=np.array([[f"{i.secondary_date:%Y%m%d}", f"{i.reference_date:%Y%m%d}"] for i in ifgs]),
             wavelength_m=ifgs[0].wavelength_m, geotransform=np.array([t.c, t.a, t.f, t.e]),
             ref_yx=np.array([row, col]))


def _sarlake(tmp: Path) -> tuple[np.ndarray, float]:
    import rasterio

    from pges.ingest import ingest

    mets = ingest(sorted((DATA / "roipac_unw").glob("*.unw")), tmp / "l2",
                  coherence_dirs=[str(DATA / "gamma_coherence")], mission="envisat", aoi="sydney")
    cfg = tmp / "ts.json"
    cfg.write_text(json.dumps({"pge": "timeseries", "inputs": [str(m) for m in mets], "output_dir": str(tmp / "l3"),
                               "parameters": {"reference": {"lat": REFERENCE[0], "lon": REFERENCE[1]},
                                              "aoi": "sydney"}}))
    res = tmp / "ts-result.json"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pges", "timeseries", "--run-config", str(cfg), "--result-file", str(res)],
                   check=True, capture_output=True, cwd=ROOT)
    seconds = time.perf_counter() - t
    met = Path(json.loads(res.read_text())["products"][0]["met_uri"])
    with rasterio.open(met.parent / "velocity_mm_yr.tif") as src:
        return src.read(1).astype(np.float64), seconds


def run() -> list[dict]:
    """Run both on the Sydney stack; return the rows (none if MintPy's venv cannot be made)."""
    if not ENV_PY.exists():
        subprocess.run(["bash", str(ROOT / "bench" / "mintpy_env.sh")], check=True)
    version = subprocess.run([str(ENV_PY), "-c", "import mintpy; print(mintpy.__version__)"], check=True,
                             capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="bench-mintpy-") as tmp_name:
        tmp = Path(tmp_name)
        ours, t_ours = _sarlake(tmp)
        _stack_npz(tmp / "stack.npz")
        (tmp / "mintpy").mkdir()
        subprocess.run([str(ENV_PY), str(ROOT / "bench" / "mintpy_sydney.py"), str(tmp / "stack.npz"),
                        str(tmp / "mintpy")], check=True, capture_output=True)
        theirs = np.load(tmp / "mintpy" / "velocity_mm_yr.npy")
        t_theirs = float((tmp / "mintpy" / "seconds.txt").read_text())
    ok = np.isfinite(ours) & np.isfinite(theirs) & (theirs != 0)  # MintPy writes 0 where it masked a pixel
    diff = ours[ok] - theirs[ok]
    offset = float(np.median(diff))
    rmse = float(np.sqrt(np.mean((diff - offset) ** 2)))
    corr = float(np.corrcoef(ours[ok], theirs[ok])[0, 1])
    return [
        {"name": f"Sydney Envisat velocity, sarlake SBAS vs MintPy {version} (RMSE after median offset)",
         "value": round(rmse, 3), "unit": "mm/yr", "target": None,
         "reference": f"correlation {corr:.4f}, offset {offset:.2f} mm/yr, {int(ok.sum())} pixels both kept "
         f"(of {ok.size}); velocity range {np.ptp(theirs[ok]):.1f} mm/yr"},
        {"name": "Sydney Envisat time series + velocity, sarlake `python -m pges timeseries` (1 CLI process)",
         "value": round(t_ours, 2), "unit": "s", "target": None,
         "reference": f"MintPy ifgram_inversion.py + timeseries2velocity.py, same stack: {t_theirs:.2f} s "
         f"(MintPy / sarlake = {t_theirs / t_ours:.1f})"},
    ]


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
