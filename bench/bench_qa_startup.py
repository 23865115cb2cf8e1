"""QA scorer start-up with a ConvNet champion: registry -> p(error) of the 17 Sydney interferograms, fresh process.

A quick ConvNet (the ``train`` PGE's demo size, fitted on synthetic tiles: its accuracy is not the point) is
registered as the champion of a temporary MLflow registry, with its LiteRT conversion as the training code saves
it. Each figure is the median wall and CPU time of ``REPEATS`` fresh processes (after one warm-up run that fills
the scorer's model cache) that score the 17 real Sydney Envisat interferograms with their GAMMA coherence:

* the scorer as it is (the ConvNet served by LiteRT, :mod:`pges.qa.model_load`);
* reference, same run, same version, same files: the same scorer loading the version through
  ``mlflow.pyfunc`` (TensorFlow and Keras), which is what it did before the conversion existed;
* ``sarlake qa score --manifest ... --json``, what a user runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_startup import measure  # noqa: E402 - a sibling benchmark: median wall and CPU of fresh processes

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "envisat_sydney_roipac"
REPEATS = 3
SCORE = (
    "import csv\n"
    "from pges.qa.score import Scorer, read_files\n"
    "from lake.settings import get_settings\n"
    "from sarlake.workflows.qa import model_cache\n"
    "{patch}"
    f"root = {str(DATA)!r}\n"
    "rows = list(csv.DictReader(open(root + '/qa_real_check.csv')))\n"
    "s = get_settings()\n"
    "scorer = Scorer(s.mlflow_tracking_uri, s.qa_model_name, cache_dir=model_cache(s))\n"
    "records = scorer.score([read_files(root + '/' + r['unw'], r['coherence'] and root + '/' + r['coherence'])"
    " for r in rows])\n"
    "assert len(records) == 17, len(records)\n"
)
KERAS = ("import mlflow.pyfunc\nfrom pges.qa import model_load\n"
         "model_load.load_local = lambda local: (model_load.quiet_keras(), mlflow.pyfunc.load_model(str(local)))[1]\n")


def _register(home: str) -> None:
    """Fit and register the quick ConvNet as champion in ``home``'s registry (its own process: TensorFlow)."""
    code = (
        "import numpy as np, mlflow\n"
        "from lake.settings import get_settings\n"
        "from pges.qa.images import phase_tile\n"
        "from pges.train.models import fit_model\n"
        "from pges.train.tracking import log_candidate, open_tracking\n"
        "rng = np.random.default_rng(5)\n"
        "yy, xx = np.mgrid[0:48, 0:48]\n"
        "island = (yy - 24) ** 2 + (xx - 20) ** 2 < 90\n"
        "tiles = np.stack([phase_tile((0.05 * xx + rng.normal(0, 0.3, xx.shape) + 6.3 * (i % 4 >= 2) * island)"
        ".astype(np.float32), None) for i in range(40)]).astype(np.float32)\n"
        "fitted = fit_model('convnet', tiles, np.arange(40) % 4, quick=True)\n"
        "s = get_settings()\n"
        "exp = open_tracking(s.mlflow_tracking_uri, s.mlflow_artifact_root)\n"
        "c = log_candidate(fitted, tiles, {'test_f1_uwe2': 0.0}, {}, experiment_id=exp, model_name=s.qa_model_name,"
        " data_version='0', dataset={'kind': 'synthetic'})\n"
        "mlflow.MlflowClient().set_registered_model_alias(s.qa_model_name, 'champion', c.version)\n"
    )
    env = _env(home)
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True)


def _env(home: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SARLAKE_")} | {
        "SARLAKE_HOME": home, "TF_CPP_MIN_LOG_LEVEL": "2"}


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-qa-startup-") as home:
        env = _env(home)
        subprocess.run([str(Path(sys.executable).parent / "sarlake"), "init"], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        _register(home)
        load = os.getloadavg()[0]
        lite = measure([sys.executable, "-c", SCORE.format(patch="")], env, REPEATS)
        keras = measure([sys.executable, "-c", SCORE.format(patch=KERAS)], env, REPEATS)
        manifest = Path(home) / "sydney.csv"
        manifest.write_text("unw,coherence,dem\n" + "".join(
            f"{DATA / r[0]},{DATA / r[1] if r[1] else ''},\n"
            for r in (line.split(",")[:2] for line in (DATA / "qa_real_check.csv").read_text().splitlines()[1:])))
        cli = measure([str(Path(sys.executable).parent / "sarlake"), "qa", "score", "--manifest", str(manifest),
                        "--json"], env, REPEATS)
    what = f"median of {REPEATS} fresh processes, 17 Sydney interferograms with coherence; load {load:.1f}"
    return [
        {"name": f"QA scorer start-up + 17 products, ConvNet champion via LiteRT ({what})", "value": lite[0],
         "unit": "s", "target": "",
         "reference": f"the same version through mlflow.pyfunc (TensorFlow + Keras), same run: {keras[0]:.1f} s "
                      f"wall ({keras[1]:.1f} CPU-s) against {lite[1]:.1f} CPU-s; {keras[0] / lite[0]:.1f}x"},
        {"name": "sarlake qa score --manifest (17 Sydney products) --json, ConvNet champion", "value": cli[0],
         "unit": "s", "target": "", "reference": f"CPU {cli[1]:.1f} s; median of {REPEATS} fresh runs"},
    ]


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    for row in run():
        print(row)
