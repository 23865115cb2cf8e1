"""The QA ConvNet served by LiteRT: the same probabilities as Keras, and scoring without importing TensorFlow.

The truth is Keras itself: the fitted ConvNet's own ``predict`` on the same tiles (TensorFlow's kernels), against
which LiteRT's interpreter (its own kernels, from the converted flatbuffer) must agree; the tiles are those of
the 17 real Sydney Envisat interferograms (tests/data/envisat_sydney_roipac, GAMMA/ROI_PAC outputs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
ROOT = Path(__file__).resolve().parents[1]


def _fit(quick: bool):
    """A ConvNet fitted on synthetic tiles (two classes told apart by a 2*pi island), and the tiles."""
    from pges.qa.images import phase_tile
    from pges.train.models import fit_model

    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:48, 0:48]
    island = (yy - 24) ** 2 + (xx - 20) ** 2 < 90
    phases = [(rng.normal(0.05, 0.02) * xx + rng.normal(0, 0.3, xx.shape) + 6.3 * (i % 4 >= 2) * island)
              .astype(np.float32) for i in range(40)]
    tiles = np.stack([phase_tile(p, None) for p in phases]).astype(np.float32)
    return fit_model("convnet", tiles, np.arange(40) % 4, quick=quick), tiles


@pytest.fixture(scope="module")
def convnet():
    """The demo-size ConvNet (``quick``)."""
    return _fit(quick=True)


@pytest.fixture(scope="module")
def sydney_tiles():
    from pges.train.realcheck import load_real_check

    return load_real_check(DATA / "qa_real_check.csv").inputs["tiles"]


def test_the_litert_conversion_gives_keras_probabilities_on_real_and_synthetic_tiles(convnet, sydney_tiles, tmp_path,
                                                                                     capsys):
    from pges.qa.litert import LiteRTModel, to_litert

    fitted, tiles = convnet
    capsys.readouterr()
    served = LiteRTModel(to_litert(fitted.model, tmp_path / "model.tflite"))
    assert "Saved artifact" not in capsys.readouterr().out  # Keras's export listing stays out of the output
    for x in (sydney_tiles, tiles, tiles[:1]):  # 17 real, 40 synthetic, then a batch of one (a resize)
        keras_p = fitted.predict_proba(x)
        assert keras_p.shape == (len(x), 4)
        np.testing.assert_allclose(served.predict(x), keras_p, atol=1e-5)
    assert served.predict(tiles[:0]).shape == (0, 4)
    with pytest.raises(ValueError, match=r"tiles of shape \(n, 64, 64, 2\).*\(3, 32, 32, 2\)"):
        served.predict(np.zeros((3, 32, 32, 2), np.float32))


def test_the_full_size_convnet_converts_with_the_same_probabilities(sydney_tiles, tmp_path):
    """``make train``'s ConvNet: double conv blocks, global average pooling, dropout (off when predicting)."""
    from pges.qa.litert import LiteRTModel, to_litert

    fitted, tiles = _fit(quick=False)
    assert fitted.params["convs_per_block"] == 2
    served = LiteRTModel(to_litert(fitted.model, tmp_path / "model.tflite"))
    for x in (sydney_tiles, tiles):
        np.testing.assert_allclose(served.predict(x), fitted.predict_proba(x), atol=1e-5)


def test_a_registered_convnet_scores_through_litert_without_importing_tensorflow(convnet, sydney_tiles, settings,
                                                                                 tmp_path, capsys):
    """The registered model stays a Keras (``tensorflow`` flavour) model; the scorer serves its LiteRT file."""
    import mlflow
    import mlflow.tensorflow

    from pges.qa.model_io import p_error
    from pges.train.tracking import log_candidate, open_tracking

    fitted, tiles = convnet
    experiment = open_tracking(settings.mlflow_tracking_uri, settings.mlflow_artifact_root)
    capsys.readouterr()
    candidate = log_candidate(fitted, tiles, {"test_f1_uwe2": 0.0}, {}, experiment_id=experiment,
                              model_name=settings.qa_model_name, data_version="0", dataset={"kind": "synthetic"})
    # MLflow predicts the input example with the saved model: Keras's progress bars stay off stdout, where the train
    # PGE's result and `sarlake qa train`'s summary go
    assert capsys.readouterr().out == ""
    uri = f"models:/{settings.qa_model_name}/{candidate.version}"
    keras_model = mlflow.tensorflow.load_model(uri)  # the model of record loads as before
    expected = np.asarray(keras_model.predict(sydney_tiles, verbose=0))
    np.testing.assert_allclose(expected, fitted.predict_proba(sydney_tiles), atol=1e-6)
    mlflow.MlflowClient().set_registered_model_alias(settings.qa_model_name, "champion", candidate.version)

    script = (  # the real check's files, coherence included, in its manifest's order
        "import csv, json, sys\n"
        "from pges.qa.score import Scorer, read_files\n"
        f"root = {str(DATA)!r}\n"
        "rows = list(csv.DictReader(open(root + '/qa_real_check.csv')))\n"
        f"s = Scorer({settings.mlflow_tracking_uri!r}, {settings.qa_model_name!r})\n"
        "records = s.score([read_files(root + '/' + r['unw'], r['coherence'] and root + '/' + r['coherence'])"
        " for r in rows])\n"
        "print(json.dumps({'model': type(s.model).__name__, 'tensorflow': 'tensorflow' in sys.modules,"
        " 'keras': 'keras' in sys.modules, 'p': [r['p_error'] for r in records],"
        " 'proba': [r['class_probabilities'] for r in records]}))\n"
    )
    env = {**os.environ, "SARLAKE_HOME": os.environ["SARLAKE_HOME"]}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["model"] == "LiteRTModel"
    assert not got["tensorflow"] and not got["keras"]
    assert len(got["p"]) == 17
    np.testing.assert_allclose(got["proba"], expected, atol=1e-4)
    np.testing.assert_allclose(got["p"], p_error(expected)[0], atol=1e-3)

    # what a user runs: JSON on stdout, and not LiteRT's note about its CPU delegate on stderr
    cli = subprocess.run([str(Path(sys.executable).parent / "sarlake"), "qa", "score", str(DATA / "roipac_unw" /
                          "geo_061211-070813.unw"), "--json"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["model_version"] == candidate.version
    assert "XNNPACK" not in cli.stderr and "INFO" not in cli.stderr, cli.stderr


def test_a_keras_model_saved_without_its_conversion_still_loads_through_mlflow(convnet, sydney_tiles, tmp_path):
    """Versions registered before the conversion existed have no LiteRT file: they load with TensorFlow."""
    import mlflow.tensorflow

    from pges.qa.model_load import load_local

    fitted, _ = convnet
    mlflow.tensorflow.save_model(fitted.model, str(tmp_path / "old"))
    model = load_local(tmp_path / "old")
    assert type(model).__name__ == "PyFuncModel"
    np.testing.assert_allclose(np.asarray(model.predict(sydney_tiles)), fitted.predict_proba(sydney_tiles),
                               atol=1e-6)
