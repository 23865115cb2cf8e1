"""The QA scorer's model cache: a registered version loaded from its cached copy predicts what MLflow's loader does.

The truth is MLflow's own ``mlflow.pyfunc.load_model`` of the same registered version (another code path:
download, pyfunc wrapper, signature enforcement); the cached copy must give the same class probabilities,
download once per version, and follow the alias when it moves.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

SYD = Path(__file__).parent / "data" / "envisat_sydney_roipac" / "roipac_unw"


def test_a_cached_champion_predicts_what_mlflow_loads_and_follows_the_alias(settings, tmp_path):
    from qa_champion import register_champion

    from pges.qa.features import FEATURE_NAMES
    from pges.qa.model_io import to_model_input
    from pges.qa.score import ModelMissingError, Scorer

    first = register_champion(seed=0)
    x = to_model_input("features", np.random.default_rng(7).normal(size=(12, len(FEATURE_NAMES))), None, None)
    cache = tmp_path / "cache"
    reference = Scorer(settings.mlflow_tracking_uri, settings.qa_model_name)  # mlflow.pyfunc, no cache
    cached = Scorer(settings.mlflow_tracking_uri, settings.qa_model_name, cache_dir=cache)
    assert cached.version == reference.version == first
    expected = np.asarray(reference.model.predict(x))
    assert expected.shape == (12, 4)
    np.testing.assert_allclose(np.asarray(cached.model.predict(x)), expected)
    copies = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(copies) == 1 and (copies[0] / "MLmodel").is_file()
    assert not [p for p in cache.iterdir() if p.name.startswith(".download-")]  # no half copy left behind

    # the second scorer of the same version reads the cache: it does not download (the registry's copy is gone)
    artifacts = Path(settings.mlflow_artifact_root.removeprefix("file://"))
    assert artifacts.is_dir()
    artifacts.rename(artifacts.with_name("moved-away"))
    try:
        again = Scorer(settings.mlflow_tracking_uri, settings.qa_model_name, cache_dir=cache)
        np.testing.assert_allclose(np.asarray(again.model.predict(x)), expected)
    finally:
        artifacts.with_name("moved-away").rename(artifacts)

    # a promotion moves the alias: the next scorer loads the new version, not the cached old one
    second = register_champion(seed=1)
    assert second != first
    promoted = Scorer(settings.mlflow_tracking_uri, settings.qa_model_name, cache_dir=cache)
    new_reference = Scorer(settings.mlflow_tracking_uri, settings.qa_model_name)
    assert promoted.version == second
    np.testing.assert_allclose(np.asarray(promoted.model.predict(x)), np.asarray(new_reference.model.predict(x)))
    assert not np.allclose(np.asarray(promoted.model.predict(x)), expected)
    assert len([p for p in cache.iterdir() if not p.name.startswith(".")]) == 2

    # a version asked for by number is that version, whatever the aliases say; a missing one is named
    pinned = Scorer(settings.mlflow_tracking_uri, settings.qa_model_name, str(first), cache_dir=cache)
    assert pinned.version == first
    np.testing.assert_allclose(np.asarray(pinned.model.predict(x)), expected)
    with pytest.raises(ModelMissingError, match="no version 999 of the QA model"):
        Scorer(settings.mlflow_tracking_uri, settings.qa_model_name, "999", cache_dir=cache)


def test_scoring_keeps_stdout_for_the_json_lines_when_the_model_prints_a_progress_bar(capsys):
    """A Keras champion's predict prints "1/1 ━━━━ 0s 276ms/step" to stdout: it broke `qa score --json`."""
    from pges.qa.score import ProductInputs, Scorer

    class Chatty:  # what mlflow's Keras wrapper does: keras_model.predict(data) with its default verbosity
        def predict(self, x):
            print("1/1 ━━━━━━━━━━━━━━━━━━━━ 0s 276ms/step")
            return np.tile([0.7, 0.1, 0.1, 0.1], (len(x), 1))

    scorer = Scorer.__new__(Scorer)
    scorer.model, scorer.input_kind, scorer.model_name, scorer.version = Chatty(), "features", "m", "1"
    scorer.thresholds = (0.5, 0.5)
    yy, xx = np.mgrid[0:64, 0:64]
    records = scorer.score([ProductInputs("ramp", (0.05 * xx + 0.02 * yy).astype(np.float32))])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "276ms/step" in captured.err
    assert records[0]["p_error"] == 0.2 and records[0]["uwe_class"] == 0


def test_a_champion_trained_on_an_older_feature_set_is_refused_by_name_and_counts_as_no_champion(settings):
    import mlflow
    import pytest
    from qa_champion import register_champion

    from pges.qa.features import FEATURE_SET
    from pges.qa.score import ModelMissingError, Scorer, stale_feature_set
    from sarlake.workflows.qa_train import has_champion

    version = register_champion(seed=2)
    assert has_champion()
    # a champion of an earlier release: its features meant other things (or were fewer)
    mlflow.MlflowClient().set_model_version_tag(settings.qa_model_name, version, "sarlake.feature_set",
                                                "qa-features-6")
    with pytest.raises(ModelMissingError) as err:
        Scorer(settings.mlflow_tracking_uri, settings.qa_model_name)
    assert f"version {version}" in str(err.value) and "qa-features-6" in str(err.value)
    assert FEATURE_SET in str(err.value) and "make train" in str(err.value)
    assert not has_champion()  # so `sarlake qa train --if-no-champion` (the demo) trains a new one
    # image models do not read the features: their feature-set tag does not matter
    assert stale_feature_set({"sarlake.input_kind": "browse", "sarlake.feature_set": "qa-features-1"}) is None
    assert stale_feature_set({"sarlake.input_kind": "features+tiles", "sarlake.feature_set": "qa-features-1"}) \
        == "qa-features-1"


def test_a_scorer_decides_classes_by_the_thresholds_its_version_was_registered_with(settings):
    """Training fits a feature model's class thresholds (pges.train.decision); the scorer of that version must
    use them, and one of a version registered before thresholds existed the defaults (the more probable class)."""
    import mlflow
    from qa_champion import register_champion

    from pges.qa.model_io import THRESHOLD_TAGS
    from pges.qa.score import ProductInputs, Scorer

    version = register_champion(seed=3, thresholds=(0.2, 0.9))
    tags = mlflow.MlflowClient().get_model_version(settings.qa_model_name, version).tags
    assert [tags[k] for k in THRESHOLD_TAGS] == ["0.20", "0.90"]
    scorer = Scorer(settings.mlflow_tracking_uri, settings.qa_model_name)
    assert scorer.version == version and scorer.thresholds == (0.2, 0.9)
    yy, xx = np.mgrid[0:64, 0:64]
    rng = np.random.default_rng(4)
    products = [ProductInputs(f"p{i}", (0.05 * xx + 0.02 * yy + rng.normal(0, s, xx.shape)).astype(np.float32))
                for i, s in enumerate((0.1, 0.6, 1.2, 2.0, 3.0))]
    for r in scorer.score(products):
        p = r["class_probabilities"]
        side = [2, 3] if p[2] + p[3] >= 0.5 else [0, 1]
        share = p[side[1]] / max(p[side[0]] + p[side[1]], 1e-12)
        assert r["uwe_class"] == (side[1] if share > (0.9 if side[0] == 2 else 0.2) else side[0]), r
    for k in THRESHOLD_TAGS:  # a version from before: no tags
        mlflow.MlflowClient().delete_model_version_tag(settings.qa_model_name, version, k)
    assert Scorer(settings.mlflow_tracking_uri, settings.qa_model_name).thresholds == (0.5, 0.5)


@pytest.mark.parametrize(("shape", "refused"), [((3, 3), True), ((1, 200), True), ((15, 64), True),
                                                ((16, 16), False)])
def test_a_raster_too_small_to_assess_is_refused_naming_it(tmp_path, shape, refused):
    """Under 16 pixels a side there is no room for the features (moats, components): refused, not scored."""
    import rasterio
    from rasterio.transform import from_origin

    from pges.errors import InputValidationError
    from pges.qa.score import read_files

    path = tmp_path / "small.tif"
    data = np.random.default_rng(0).normal(0, 1, shape).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", height=shape[0], width=shape[1], count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(0, 0, 0.01, 0.01)) as dst:
        dst.write(data, 1)
    if refused:
        with pytest.raises(InputValidationError, match=rf"small.tif: {shape[0]}x{shape[1]} pixels, too small"):
            read_files(path)
    else:
        assert read_files(path).unw.shape == shape


def _write_tif(path: Path, data: np.ndarray, nodata: float | None = None) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    bands = data if data.ndim == 3 else data[None]
    with rasterio.open(path, "w", driver="GTiff", height=bands.shape[1], width=bands.shape[2], count=len(bands),
                       dtype=bands.dtype, crs="EPSG:32633", transform=from_origin(0, 0, 30, 30),
                       nodata=nodata) as dst:
        dst.write(bands)
    return path


def _phase(shape: tuple[int, int] = (64, 64)) -> np.ndarray:
    """A smooth bowl in radians with a little noise: what an unwrapper writes."""
    i, j = np.mgrid[0 : shape[0], 0 : shape[1]]
    rng = np.random.default_rng(1)
    return (6 * np.exp(-((i - 30) ** 2 + (j - 34) ** 2) / 400) + rng.normal(0, 0.2, shape)).astype("float32")


def test_a_file_named_as_wrapped_phase_is_refused_not_scored(tmp_path):
    """HyP3's ``_wrapped_phase.tif`` is float radians: it was scored as if unwrapped (every fringe a 2 pi jump)."""
    from pges.errors import InputValidationError
    from pges.qa.score import read_files

    path = _write_tif(tmp_path / "S1AA_x_wrapped_phase.tif", np.angle(np.exp(1j * _phase())).astype("float32"))
    with pytest.raises(InputValidationError, match=r"^S1AA_x_wrapped_phase.tif: its name says wrapped phase; QA "
                                                   r"scores unwrapped phase"):
        read_files(path)


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: (np.round(p * 100)).astype("int16"), r"x.tif band 1: data type int16; unwrapped phase must be float"),
    (lambda p: np.exp(1j * p).astype("complex64"), r"x.tif band 1: data type complex64 is a wrapped"),
    (lambda p: np.stack([np.ones_like(p), p, p]), r"x.tif: 3 bands; QA reads one band"),
    (lambda p: np.where(np.arange(p.size).reshape(p.shape) % 64 < 8, np.float32(-9999), p),
     r"x.tif: 12.5% of the pixels are exactly -9999, a no-data fill the file does not declare; declare it"),
    (lambda p: np.where(np.arange(p.size).reshape(p.shape) < 250, p, np.float32(np.nan)),
     r"x.tif: only 250 valid pixels of 4096; too few to assess \(at least 256 needed\)"),
    (lambda p: p * np.float32(1e30), r"x.tif: values up to 6\.\d+e\+30, not unwrapped phase in radians"),
])
def test_a_file_that_is_not_unwrapped_phase_in_radians_is_refused_naming_it_and_the_fix(tmp_path, make, message):
    """Each of these scored as a clean product before (exit 0): the amplitude band of a 3-band file, an integer
    export, a -9999 fill the file does not declare (read as phase: a 'UWE_3' cliff), five valid pixels."""
    from pges.errors import InputValidationError
    from pges.qa.score import read_files

    path = _write_tif(tmp_path / "x.tif", make(_phase()))
    with pytest.raises(InputValidationError, match=message):
        read_files(path)


def test_a_declared_fill_and_the_phase_itself_pass_the_checks(tmp_path):
    """The same -9999 fill declared as the file's no-data value is no data, not phase; plain radians pass."""
    from pges.qa.score import read_files

    phase = _phase()
    filled = np.where(np.arange(phase.size).reshape(phase.shape) % 64 < 8, np.float32(-9999), phase)
    read = read_files(_write_tif(tmp_path / "declared.tif", filled, nodata=-9999)).unw
    assert int(np.isnan(read).sum()) == 512 and np.array_equal(read[~np.isnan(read)], phase[filled != -9999])
    assert np.array_equal(read_files(_write_tif(tmp_path / "plain.tif", phase)).unw, phase)


def test_a_dem_at_sea_level_everywhere_is_a_dem_and_one_without_a_value_is_refused(tmp_path):
    """A DEM of zeros (the sea, a flat coast) was refused as 'every pixel is zero (no data)'. Flat is flat: its
    features are those of a DEM 100 m up everywhere, with no correlation between the phase and the heights."""
    from pges.errors import InputValidationError
    from pges.qa.score import read_files, read_product_folder

    unw = _write_tif(tmp_path / "unw.tif", _phase())
    sea = _write_tif(tmp_path / "sea.tif", np.zeros((64, 64), "float32"))
    plateau = _write_tif(tmp_path / "plateau.tif", np.full((64, 64), 100, "float32"))
    at_sea, up = read_files(unw, dem=sea), read_files(unw, dem=plateau)
    assert np.array_equal(at_sea.dem, np.zeros((64, 64)))
    f_sea, f_up = at_sea.features(), up.features()
    np.testing.assert_array_equal(f_sea.vector(), f_up.vector())
    assert f_sea.values["dem_correlation"] == 0.0 and "dem" not in f_sea.missing
    folder = tmp_path / "product"
    folder.mkdir()
    _write_tif(folder / "unwrapped_phase.tif", _phase())
    _write_tif(folder / "dem.tif", np.zeros((64, 64), "float32"))
    np.testing.assert_array_equal(read_product_folder(folder).features().vector(), f_sea.vector())
    for name, heights, nodata in (("nan.tif", np.full((64, 64), np.nan, "float32"), None),
                                  ("void.tif", np.full((64, 64), -32768, "int16"), -32768)):
        with pytest.raises(InputValidationError,
                           match=rf"^the DEM file: {name}: no pixel has a value \(every one is NaN or the no-data "
                                 r"value\)$"):
            read_files(unw, dem=_write_tif(tmp_path / name, heights, nodata))


def test_a_side_file_that_cannot_be_read_is_named_by_its_role(tmp_path):
    """`sarlake qa score X.unw --coherence notes.txt` said "notes.txt: 49 bytes but 47 columns x 72 lines ...": the
    sizes of a raw float raster, not that the file given as the coherence was the one at fault."""
    from pges.errors import InputValidationError
    from pges.qa.score import read_files

    unw = SYD / "geo_060619-061002.unw"
    text = tmp_path / "notes.txt"
    text.write_text("not a raster, a note someone saved beside the product\n")
    with pytest.raises(InputValidationError, match=r"^the coherence file: notes.txt: "):
        read_files(unw, coherence=text)
    with pytest.raises(InputValidationError, match=r"^the DEM file: notes.txt: "):
        read_files(unw, dem=text)


def test_each_ignored_input_comes_with_its_reason_in_the_record_and_the_text_line(monkeypatch):
    """`ignored_inputs` named the coherence layer left out, not why; the text line had the reason written in."""
    from click.testing import CliRunner

    from pges.qa.features import COHERENCE_IGNORED
    from pges.qa.score import ProductInputs, Scorer
    from sarlake.cli import cli

    class Fixed:
        def predict(self, x):
            return np.tile([0.7, 0.1, 0.1, 0.1], (len(x), 1))

    scorer = Scorer.__new__(Scorer)
    scorer.model, scorer.input_kind, scorer.model_name, scorer.version = Fixed(), "features", "m", "1"
    scorer.thresholds = (0.5, 0.5)
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:96, 0:96]
    unw = (0.05 * xx + 0.02 * yy).astype(np.float32)
    wrapped = np.angle(np.exp(1j * unw)).astype(np.float32)
    wrapped[:, :40] = rng.uniform(-np.pi, np.pi, (96, 40))  # a decorrelated band
    honest = np.where(xx < 40, 0.1, 0.9).astype(np.float32)  # low exactly where the phase is noise
    blind = rng.uniform(0, 1, unw.shape).astype(np.float32)  # low and high anywhere: says nothing of the phase
    kept, ignored = scorer.score([ProductInputs("kept", unw, honest, wrapped), ProductInputs("ignored", unw, blind,
                                                                                            wrapped)])
    assert (kept["ignored_inputs"], kept["ignored_reasons"]) == ([], {})
    assert ignored["ignored_inputs"] == ["coherence"] and ignored["ignored_reasons"] == {"coherence": COHERENCE_IGNORED}
    assert "does not follow the phase" in COHERENCE_IGNORED

    monkeypatch.setattr("sarlake.workflows.qa.score_files", lambda items, on_error=None, **_: iter([ignored]))
    out = CliRunner().invoke(cli, ["qa", "score", "x.tif"])
    assert out.exit_code == 0, out.output
    assert f"(coherence given but ignored: {COHERENCE_IGNORED})" in out.output


def test_a_phase_geotiff_in_millimetres_scores_as_the_same_phase_in_radians(tmp_path):
    """qa score read a DATA_UNITS=MILLIMETRES band as radians (ingest converts it): 4 pi / wavelength per metre."""
    import rasterio

    from pges.errors import InputValidationError
    from pges.qa.score import read_files

    wavelength = 0.0562356424  # ENVISAT C band, metres
    radians = _phase()
    millimetres = (radians.astype(np.float64) * wavelength * 1000 / (4 * np.pi)).astype("float32")
    plain = read_files(_write_tif(tmp_path / "rad.tif", radians))
    in_mm = _write_tif(tmp_path / "mm.tif", millimetres)
    with rasterio.open(in_mm, "r+") as dst:
        dst.update_tags(DATA_UNITS="millimetres", WAVELENGTH=str(wavelength))
    converted = read_files(in_mm)
    np.testing.assert_allclose(converted.unw, radians, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(converted.features().vector(), plain.features().vector(), rtol=1e-4, atol=1e-5)
    untagged = _write_tif(tmp_path / "mm_no_wavelength.tif", millimetres)
    with rasterio.open(untagged, "r+") as dst:
        dst.update_tags(DATA_UNITS="MM")
    with pytest.raises(InputValidationError, match=r"^mm_no_wavelength.tif: phase in MM \(DATA_UNITS\) and no radar "
                                                   r"wavelength in its metadata"):
        read_files(untagged)


def test_a_phase_geotiff_in_metres_toward_the_satellite_scores_with_los_sign(tmp_path, monkeypatch):
    """Metres positive toward the satellite (HyP3's los_disp, MintPy) are ``-phase * wavelength / (4 pi)``: a file
    that does not say which way it points is refused naming ``--los-sign`` (it was read with PyRate's sign, the
    phase negated), and ``qa score --los-sign toward`` reads the phase itself."""
    import rasterio
    from click.testing import CliRunner

    from pges.errors import InputValidationError
    from pges.qa.score import read_files
    from sarlake.cli import cli

    wavelength = 0.0555
    radians = _phase()
    metres = (-radians.astype(np.float64) * wavelength / (4 * np.pi)).astype("float32")
    path = _write_tif(tmp_path / "los_m.tif", metres)
    with rasterio.open(path, "r+") as dst:
        dst.update_tags(UNITS="m", WAVELENGTH=str(wavelength))
    with pytest.raises(InputValidationError, match=r"^los_m.tif: phase in m \(UNITS\) and nothing in the file says "
                                                   r"which way .*give --los-sign toward or --los-sign away$"):
        read_files(path)
    np.testing.assert_allclose(read_files(path, los_sign="toward").unw, radians, rtol=1e-5, atol=1e-5)

    seen = {}

    def score_files(items, on_error=None, los_sign=None):
        seen.update(items=items, los_sign=los_sign)
        return iter([])

    monkeypatch.setattr("sarlake.workflows.qa.score_files", score_files)
    out = CliRunner().invoke(cli, ["qa", "score", str(path), "--los-sign", "toward"])
    assert out.exit_code == 0 and seen == {"items": [(str(path), None, None)], "los_sign": "toward"}, out.output
    out = CliRunner().invoke(cli, ["qa", "score", str(path), "--los-sign", "up"])
    assert out.exit_code == 2 and "'up' is not one of 'toward', 'away'" in out.output


@pytest.mark.parametrize(("name", "layer", "nodata", "says"), [
    ("connected_components.tif", np.zeros((64, 64), "uint16"), 0,  # as the PGEs write it: 0 declared no data
     "no pixel is in a connected component (all 0 or no data): nothing was unwrapped"),
    ("connected_components.tif", np.zeros((64, 64), "uint16"), None,
     "no pixel is in a connected component (all 0 or no data): nothing was unwrapped"),
    ("coherence.tif", np.zeros((64, 64), "float32"), None, "coherence is 0 or no data everywhere: no pixel has signal"),
    ("coherence.tif", np.full((64, 64), np.nan, "float32"), None,
     "coherence is 0 or no data everywhere: no pixel has signal"),
])
def test_a_product_layer_with_nothing_in_it_is_refused_saying_what_that_means(tmp_path, name, layer, nodata, says):
    """All-zero connected components (nothing unwrapped) were refused as 'every pixel is NaN (no data)', the
    zeros being the layer's declared no-data value; all-zero coherence (no signal) as 'zero (no data)'."""
    from pges.errors import InputValidationError
    from pges.qa.score import read_product_folder

    _write_tif(tmp_path / "unwrapped_phase.tif", _phase())
    _write_tif(tmp_path / name, layer, nodata)
    with pytest.raises(InputValidationError, match=rf"^{name}: {re.escape(says)}$"):
        read_product_folder(tmp_path)


@pytest.mark.parametrize("scheme", ["http", "postgresql+psycopg2"])
def test_a_registry_out_of_reach_is_a_failure_to_retry_not_a_missing_champion(scheme, monkeypatch):
    import mlflow.store.db.utils
    from ports import free_port

    from pges.errors import ProcessingError
    from pges.qa.score import ModelMissingError, resolve_version

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # MLflow's own retries: minutes by default
    monkeypatch.setattr(mlflow.store.db.utils, "MAX_RETRY_COUNT", 1)
    uri = f"{scheme}://ops:hunter2@127.0.0.1:{free_port()}" + ("/mlflow" if scheme != "http" else "")
    with pytest.raises(ProcessingError) as err:
        resolve_version(uri, "sarlake-qa-uwe")
    assert not isinstance(err.value, ModelMissingError)  # "train one" would send the engineer the wrong way
    message = str(err.value)
    assert message.startswith(f"cannot reach the MLflow registry at {scheme}://ops:***@127.0.0.1:")
    assert "hunter2" not in message
    assert "SARLAKE_MLFLOW_TRACKING_URI" in message
    assert "\n" not in message


def test_a_registry_that_answers_without_the_model_says_how_to_train_one(tmp_path):
    from pges.qa.score import ModelMissingError, resolve_version

    with pytest.raises(ModelMissingError, match=r"no 'champion' version of the QA model 'nothing-here' .*make train"):
        resolve_version(f"sqlite:///{tmp_path / 'mlflow.db'}", "nothing-here")
