"""The ``qa`` PGE as the ``qa`` DAG runs it: one batch of catalogued products, a fresh process, end to end.

``N`` product folders of 512x512 GeoTIFFs (unwrapped and wrapped phase, coherence) with their met.json, made from
:mod:`bench_qa`'s synthetic products, and a Random Forest champion (the ``train`` PGE's recipe, fitted on their
features) in a temporary registry. Timed, as the median of ``REPEATS`` fresh processes after one warm-up:

* ``python -m pges qa`` on one batch of the ``N`` met.json URIs: start-up, the model from the registry, reading,
  features, scoring, the ``QA_SCORES`` report and its met.json, as a ``score`` task of the ``qa`` DAG does;
* reference, same run, same products, same version: the scorer in one process on the same folders
  (:class:`pges.qa.score.Scorer` on :func:`pges.qa.score.read_product_folder`), which is what the DAG's single
  task did before it ran the PGE.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_qa import SIZE, N, _products  # noqa: E402 - a sibling benchmark's synthetic products
from bench_startup import measure  # noqa: E402 - median wall and CPU of fresh processes

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 3
DIRECT = (
    "import sys\n"
    "from pges.qa.score import Scorer, read_product_folder\n"
    "folders = sys.argv[3:]\n"
    "records = Scorer(sys.argv[1], 'sarlake-qa-uwe', sys.argv[2]).score([read_product_folder(f) for f in folders])\n"
    "assert len(records) == len(folders)\n"
)


def _write_products(root: Path) -> list[Path]:
    """The synthetic products as catalogued product folders, with their label (``cycles.json``); their met.json."""
    import rasterio
    from rasterio.transform import from_origin

    mets = []
    for k, (unw, coh, wrapped, cycles) in enumerate(_products(N, seed=1)):
        pid = f"BENCH-IFG-{k:04d}"
        folder = root / "L2_IFG" / "bench" / pid
        folder.mkdir(parents=True)
        assets = {}
        for key, name, values in (("unwrapped_phase", "unwrapped_phase.tif", unw), ("coherence", "coherence.tif", coh),
                                  ("wrapped_phase", "wrapped_phase.tif", wrapped)):
            with rasterio.open(folder / name, "w", driver="GTiff", width=SIZE, height=SIZE, count=1, dtype="float32",
                               crs="EPSG:4326", transform=from_origin(14.0, 41.0, 1e-4, 1e-4)) as dst:
                dst.write(values, 1)
            assets[key] = {"href": name, "type": "image/tiff; application=geotiff", "roles": ["data"]}
        (folder / "cycles.json").write_text(str(min(cycles, 3)))  # the label: 0 or 1-3 cycles
        met = folder / f"{pid}.met.json"
        met.write_text(json.dumps({"type": "Feature", "id": pid, "properties": {"sarlake:product_type": "L2_IFG"},
                                   "assets": assets}))
        mets.append(met)
    return mets


def _register_champion(env: dict[str, str], mets: list[Path]) -> str:
    """A Random Forest of the train PGE's recipe on the products' features, registered as champion (own process)."""
    code = (
        "import sys, json, numpy as np, mlflow\n"
        "from lake.settings import get_settings\n"
        "from pges.qa.features import compute_features\n"
        "from pges.qa.score import read_product_folder\n"
        "from pges.train.models import fit_model\n"
        "from pges.train.tracking import log_candidate, open_tracking\n"
        "folders = sys.argv[1:]\n"
        "ps = [read_product_folder(f) for f in folders]\n"
        "x = np.stack([compute_features(p.unw, p.coherence, p.wrapped).vector() for p in ps])\n"
        "y = np.array([int(json.load(open(f + '/cycles.json'))) for f in folders])\n"
        "fitted = fit_model('random_forest', x, y)\n"
        "s = get_settings()\n"
        "exp = open_tracking(s.mlflow_tracking_uri, s.mlflow_artifact_root)\n"
        "c = log_candidate(fitted, x, {'test_f1_uwe2': 0.0}, {}, experiment_id=exp, model_name=s.qa_model_name,"
        " data_version='0', dataset={'kind': 'synthetic'})\n"
        "mlflow.MlflowClient().set_registered_model_alias(s.qa_model_name, 'champion', c.version)\n"
        "print(c.version)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, *[str(m.parent) for m in mets]], env=env, cwd=ROOT,
                         check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-qa-pge-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SARLAKE_")} | {
            "SARLAKE_HOME": home, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        subprocess.run([str(Path(sys.executable).parent / "sarlake"), "init"], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        mets = _write_products(Path(home) / "products")
        version = _register_champion(env, mets)
        tracking = f"sqlite:///{home}/mlflow.db"
        config = Path(home) / "qa.json"
        config.write_text(json.dumps({
            "pge": "qa", "run_id": "bench", "inputs": [str(m) for m in mets],
            "output_dir": f"{home}/products/QA_SCORES",
            "parameters": {"tracking_uri": tracking, "version": version, "report_id": "bench"}}))
        load = os.getloadavg()[0]
        pge = measure([sys.executable, "-m", "pges", "qa", "--run-config", str(config)], env, REPEATS)
        direct = measure([sys.executable, "-c", DIRECT, tracking, version, *[str(m.parent) for m in mets]], env,
                         REPEATS)
        lines = (Path(home) / "products" / "QA_SCORES" / "bench" / "qa.jsonl").read_text().splitlines()
        assert len(lines) == N and all("p_error" in json.loads(line) for line in lines)
    return [{
        "name": f"qa PGE, one batch of {N} catalogued {SIZE}x{SIZE} products (fresh process: model from the registry, "
                f"read, features, Random Forest, QA_SCORES report; median of {REPEATS}; load {load:.1f})",
        "value": N / pge[0], "unit": "products/s", "target": "",
        "reference": f"the scorer in one process on the same folders, same run: {N / direct[0]:.1f} products/s "
                     f"({direct[0]:.1f} s wall, {direct[1]:.1f} CPU-s against the PGE's {pge[0]:.1f} s, "
                     f"{pge[1]:.1f} CPU-s)",
    }]


if __name__ == "__main__":
    for row in run():
        print(row)
