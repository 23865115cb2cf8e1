"""QA end to end: train a small champion, score real Envisat files and the lake, report, time series filter.

One module-scoped lake and registry (training is the slow part); every check is against independent truth:
the simulator's truth of the labelled set, the real files' own contents, the Iceberg snapshot ids.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]  # trains a model: minutes on a busy machine

DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
UNW = sorted((DATA / "roipac_unw").glob("*.unw"))


def _cli(*args):
    from sarlake.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    import os

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("qa") / "sarlake"
    for key in list(os.environ):
        if key.startswith("SARLAKE_"):
            mp.delenv(key)
    mp.setenv("SARLAKE_HOME", str(home))
    assert _cli("init").exit_code == 0
    yield home
    mp.undo()


@pytest.fixture(scope="module")
def trained(lake):
    from sarlake.workflows.qa_train import build_training_set, train_models

    no_model = _cli("qa", "score", str(UNW[0]))
    dataset = build_training_set(12, first_scene=500, workers=2)
    # quick models, but scored on a few products of the second simulator and of fresh scenes too (quick skips them)
    record = train_models(dataset, models=["random_forest", "gradient_boosting"], quick=True, second_sim_products=16,
                          fresh_scenes=3)
    return no_model, dataset, record


def test_without_a_champion_scoring_says_which_model_and_how_to_train(trained):
    no_model = trained[0]
    assert no_model.exit_code == 2
    assert "no 'champion' version of the QA model 'sarlake-qa-uwe'" in no_model.output
    assert "make train" in no_model.output


def test_training_records_data_version_figures_signature_and_aliases(trained):
    import mlflow

    from lake.catalog import load_table
    from lake.settings import get_settings

    _, dataset, record = trained
    snapshots = [s.snapshot_id for s in load_table("qa_training_set").snapshots()]
    assert int(dataset["data_version"]) in snapshots
    # the crowd's consensus is measured against the simulator's truth, kept apart
    assert 0.6 < dataset["label_noise"]["accuracy"] < 1.0
    mlflow.set_tracking_uri(get_settings().mlflow_tracking_uri)
    client = mlflow.MlflowClient()
    versions = {c["name"]: c["version"] for c in record["candidates"]}
    champ = str(client.get_model_version_by_alias("sarlake-qa-uwe", "champion").version)
    chall = str(client.get_model_version_by_alias("sarlake-qa-uwe", "challenger").version)
    assert {champ, chall} == set(versions.values()) and record["promotion"]["reason"] == "no champion yet"
    best = max(record["candidates"], key=lambda c: (c["metrics"]["test_f1_uwe2"],))
    assert record["promotion"]["best_rank"][0] == best["metrics"]["test_f1_uwe2"]
    # the champion's lead over the challenger, paired over the held-out scenes, as the run's metrics have it
    (margin,) = record["promotion"]["margins"]
    by_version = {c["version"]: c["metrics"] for c in record["candidates"]}
    assert (margin["versus"], margin["role"]) == (chall, "challenger")
    assert margin["f1_uwe2_difference"] == pytest.approx(
        by_version[champ]["test_f1_uwe2"] - by_version[chall]["test_f1_uwe2"])
    assert margin["f1_uwe2_difference_low"] <= margin["f1_uwe2_difference_high"]
    tagged = json.loads(client.get_model_version("sarlake-qa-uwe", champ).tags["sarlake.margins"])
    assert tagged[0]["versus"] == chall
    for c in record["candidates"]:
        run = client.get_run(c["run_id"])
        assert run.data.params["data_version"] == dataset["data_version"]
        # which pixels the set's truth judged: the simulator's coherence (docs/qa.md, "Cycle slips in noise")
        assert run.data.params["dataset.truth_rule"] == "pair-coherence"
        # the labels CSV carried the crowd's likelihoods, so the run says how many training labels the products moved
        assert int(run.data.params["dataset.crowd_relabelled"]) >= 0
        assert {"test_f1_uwe2", "test_precision_uwe2", "test_recall_uwe2", "test_accuracy"} <= set(run.data.metrics)
        figs = {Path(a.path).name for a in client.list_artifacts(c["run_id"], "figures")}
        assert {"confusion_matrix.png", "calibration.png", "p_error_histograms.png"} <= figs
        info = mlflow.models.get_model_info(f"models:/sarlake-qa-uwe/{c['version']}")
        assert info.signature is not None and info.saved_input_example_info is not None
    rf = client.get_run(next(c["run_id"] for c in record["candidates"] if c["name"] == "random_forest"))
    assert "feature_importances.json" in {a.path for a in client.list_artifacts(rf.info.run_id)}


def test_a_candidate_that_does_not_beat_the_champion_on_the_same_split_stays_challenger(trained):
    import mlflow

    from sarlake.workflows.qa_train import train_models

    _, dataset, record = trained
    champ_before = record["promotion"]["champion"]
    champ_name = next(c["name"] for c in record["candidates"] if c["version"] == champ_before)
    again = train_models(dataset, models=[champ_name], quick=True)  # same data, same seed: same scores
    new_version = again["candidates"][0]["version"]
    assert again["champion_before"]["version"] == champ_before
    assert again["promotion"]["champion"] == champ_before and "stays" in again["promotion"]["reason"]
    client = mlflow.MlflowClient()
    assert str(client.get_model_version_by_alias("sarlake-qa-uwe", "champion").version) == champ_before
    assert str(client.get_model_version_by_alias("sarlake-qa-uwe", "challenger").version) == new_version


def test_a_quick_run_leaves_the_aliases_of_a_full_runs_champion_alone(trained):
    """A smoke run from the qa_train form (Quick) took `champion` from the production model on a fresh registry's
    tiny split; against a full run's champion (a version not tagged quick) it now registers its versions, tagged
    and held back, and moves neither alias."""
    import mlflow

    from pges.train.tracking import QUICK_TAG
    from sarlake.workflows.qa_train import train_models

    _, dataset, record = trained
    client = mlflow.MlflowClient()
    champion = client.get_model_version_by_alias("sarlake-qa-uwe", "champion")
    challenger = str(client.get_model_version_by_alias("sarlake-qa-uwe", "challenger").version)
    assert champion.tags[QUICK_TAG] == "true"  # the fixture's own quick run
    client.delete_model_version_tag("sarlake-qa-uwe", champion.version, QUICK_TAG)  # as a full run's would be
    try:
        again = train_models(dataset, models=["random_forest"], quick=True)
    finally:
        client.set_model_version_tag("sarlake-qa-uwe", champion.version, QUICK_TAG, "true")
    new = again["candidates"][0]["version"]
    assert again["promotion"]["champion"] == str(champion.version) and again["promotion"]["challenger"] is None
    assert str(client.get_model_version_by_alias("sarlake-qa-uwe", "champion").version) == str(champion.version)
    assert str(client.get_model_version_by_alias("sarlake-qa-uwe", "challenger").version) == challenger
    assert client.get_model_version("sarlake-qa-uwe", new).tags[QUICK_TAG] == "true"
    assert client.get_model_version("sarlake-qa-uwe", new).tags["sarlake.held_back"] == "random_forest: a quick " \
        "(smoke) run"


def test_score_real_envisat_files_without_a_lake(trained, tmp_path, monkeypatch, caplog):
    coh = DATA / "gamma_coherence" / "20060619-20061002_utm.unw.cc"
    with caplog.at_level("WARNING", logger="pges.qa.score"):
        one = _cli("qa", "score", str(UNW[0]), "--coherence", str(coh), "--json")
    assert one.exit_code == 0, one.output
    rec = json.loads(one.output.strip().splitlines()[-1])
    assert rec["unw"] == str(UNW[0]) and 0 <= rec["p_error"] <= 1 and rec["uwe_class"] in (0, 1, 2, 3)
    assert rec["model_name"] == "sarlake-qa-uwe" and rec["model_version"] == trained[2]["promotion"]["champion"]
    # the champion is the fixture's quick run: the scorer says its scores are a demonstration, not a judgement
    warned = [r.getMessage() for r in caplog.records if r.name == "pges.qa.score" and r.levelname == "WARNING"]
    assert len(warned) == 1 and warned[0].startswith(f"sarlake-qa-uwe version {rec['model_version']} ('champion') "
                                                     "is a quick training run's model")
    assert "`make train`" in warned[0]
    # the GAMMA coherence given was read and judged: it does not follow this stack's phase quality, so it is left
    # out and flagged (coherence_ignored = 1), unlike a product scored with no coherence at all (0, below)
    assert rec["ignored_inputs"] == ["coherence"]
    assert "coherence" in rec["missing_inputs"]
    manifest = tmp_path / "m.csv"
    manifest.write_text("unw,coherence,dem\n" + "".join(f"{u},,\n" for u in UNW[:3]))
    many = _cli("qa", "score", "--manifest", str(manifest), "--json")
    lines = [json.loads(x) for x in many.output.strip().splitlines()]
    assert [x["unw"] for x in lines] == [str(u) for u in UNW[:3]]
    assert all(x["degraded"] and "coherence" in x["missing_inputs"] for x in lines)  # scored all the same
    assert all(x["ignored_inputs"] == [] for x in lines)  # none given: missing, not ignored
    bad = tmp_path / "broken.unw"
    bad.write_bytes(b"\0" * 10)
    out = _cli("qa", "score", str(bad))
    assert out.exit_code == 2 and "broken.unw" in out.output and len(out.output.strip().splitlines()) == 1
    # a manifest with a missing file on line 3: the rows around it are scored and printed (in chunks of one
    # product here, to go through the chunking), the line is named
    monkeypatch.setattr("sarlake.workflows.qa.SCORE_CHUNK", 1)
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(f"unw,coherence,dem\n{UNW[0]},,\nmissing.unw,,\n{UNW[1]},,\n")
    out = _cli("qa", "score", "--manifest", str(mixed), "--json")
    assert out.exit_code == 2
    assert [json.loads(x)["unw"] for x in out.stdout.strip().splitlines()] == [str(UNW[0]), str(UNW[1])]
    errors = out.stderr.strip().splitlines()
    assert errors[0] == f"error: {mixed} line 3: {tmp_path / 'missing.unw'}: file does not exist"
    assert errors[-1].startswith(f"error: 1 of 3 products in {mixed} not scored (lines 3")


def test_score_an_aria_gunw_as_it_is_with_its_own_coherence(trained, tmp_path):
    """`qa score` took a GeoTIFF or a ROI_PAC .unw only; a GUNW is now scored as ARIA wrote it, its own coherence
    layer read and judged as the GAMMA coherence given with --coherence is above (it does not follow this phase)."""
    from test_cli_ingest_options import _gunw  # tests/ is on sys.path

    from pges.readers import read_interferogram

    ifg = read_interferogram(UNW[0], coherence_dirs=[DATA / "gamma_coherence"])
    path = _gunw(tmp_path / "S1-GUNW-D-R-071-tops-20061002_20060619-114010-15090E_34200S-PP-7915-v2_0_6.nc", ifg,
                 north_up=True)
    out = _cli("qa", "score", str(path), "--json")
    assert out.exit_code == 0, out.output
    rec = json.loads(out.output.strip().splitlines()[-1])
    assert rec["unw"] == str(path)
    assert 0 <= rec["p_error"] <= 1
    assert rec["ignored_inputs"] == ["coherence"]  # its own layer, read and judged


def test_lake_products_get_p_error_and_time_series_leave_bad_ones_out(trained):
    from lake.query import connect

    assert _cli("aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1").exit_code == 0
    assert _cli("ingest", *map(str, UNW), "--coherence-dir", str(DATA / "gamma_coherence"), "--aoi", "sydney",
                "--mission", "envisat").exit_code == 0
    run = _cli("qa", "run")
    assert run.exit_code == 0, run.output
    con = connect()
    n, scored = con.sql("SELECT count(*), count(p_error) FROM products WHERE product_type = 'L2_IFG'").fetchone()
    assert n == scored == 17
    assert con.sql("SELECT count(*) FROM qa_predictions").fetchone()[0] == 17
    assert con.sql("SELECT count(*) FROM qa_features").fetchone()[0] == 17
    pq = con.sql("SELECT count(*) FROM product_quality WHERE model_version IS NOT NULL AND is_default").fetchone()
    assert pq[0] == 17
    # the time series uses exactly the interferograms below the threshold, of the largest network of dates they
    # connect: most dates, then most pairs (a search from each date over the pairs, here)
    p = sorted(r[0] for r in con.sql("SELECT p_error FROM products WHERE product_type = 'L2_IFG'").fetchall())
    threshold = (p[len(p) // 2] + p[len(p) // 2 - 1]) / 2 if p[len(p) // 2] > p[len(p) // 2 - 1] else p[-1] + 1e-9
    good = con.sql(f"SELECT met_uri, reference_date, secondary_date FROM products WHERE product_type = 'L2_IFG' "
                   f"AND p_error < {threshold!r}").fetchall()
    networks = []
    for start in {d for _, a, b in good for d in (a, b)}:
        seen, todo = {start}, [start]
        while todo:
            day = todo.pop()
            for _, a, b in good:
                if day in (a, b) and (a not in seen or b not in seen):
                    todo += [x for x in (a, b) if x not in seen]
                    seen |= {a, b}
        networks.append((len(seen), {u for u, a, b in good if a in seen}))
    expected = max(networks, key=lambda n: (n[0], len(n[1])), default=(0, set()))[1]  # most dates, then pairs
    if len(expected) >= 2:
        ts = _cli("timeseries", "sydney", "--max-p-error", f"{threshold:.9f}", "--reference", "-34.175", "150.915")
        assert ts.exit_code == 0, ts.output
        met = json.loads(Path(connect().sql("SELECT met_uri FROM products WHERE product_type = 'L3_TS'")
                              .fetchall()[0][0]).read_text())
        assert set(met["provenance"]["inputs"]) == expected
    # a threshold under every score leaves none: the error says which option let them out, not "ingest first"
    below = float(f"{min(p) / 2:.3g}")
    none = _cli("timeseries", "sydney", "--max-p-error", str(below))
    assert none.exit_code == 2
    assert (f"has 0 usable interferogram(s); a time series needs at least 2 (17 of its 17 left out by a QA p(error) "
            f"of {below:g} or more: raise --max-p-error") in none.output
    nan = _cli("timeseries", "sydney", "--max-p-error", "nan")  # passed FloatRange, and `p_error < NaN` kept all
    assert nan.exit_code == 2 and "Invalid value for '--max-p-error': NaN is not in the range" in nan.output
    rep = json.loads(_cli("qa", "report", "--json").output)
    assert rep["scored_products"] == 17


def test_report_lists_each_registered_version_with_its_held_out_figures_and_aliases(trained):
    """The registry part of `qa report`: what training measured and promotion decided, per version."""
    record = trained[2]
    rep = json.loads(_cli("qa", "report", "--json").output)
    by_version = {v["version"]: v for v in rep["registered"]}
    assert set(by_version) >= {c["version"] for c in record["candidates"]}  # other tests here register more
    assert [int(v) for v in by_version] == sorted(map(int, by_version), reverse=True)
    for c in record["candidates"]:
        got = by_version[c["version"]]
        assert got["model"] == c["name"]
        assert got["test_f1_uwe2"] == pytest.approx(c["metrics"]["test_f1_uwe2"])
        assert got["test_accuracy_uwe1"] == pytest.approx(c["metrics"]["test_accuracy_uwe1"])
        # each held-out figure with its 95 % interval over the held-out scenes (pges.train.intervals)
        for key in ("test_f1_uwe2", "test_mean_class_accuracy"):
            assert 0.0 <= got[f"{key}_low"] <= got[f"{key}_high"] <= 1.0, key
        acc = [c["metrics"][f"test_accuracy_uwe{k}"] for k in range(4)]
        assert got["test_mean_class_accuracy"] == pytest.approx(np.nanmean(acc))
        # by cause of error: every held-out product has exactly one cause, and the report shows what the run logged
        causes = ("clean", "failure", "hidden", "both", "unwrapper")
        assert sum(c["metrics"][f"test_cause_{k}_count"] for k in causes) == record["dataset"]["test"]
        for k in ("failure", "hidden"):
            logged = c["metrics"][f"test_cause_{k}_class_accuracy"]  # NaN, and not logged, when no product has it
            if np.isfinite(logged):
                assert got[f"test_cause_{k}_class_accuracy"] == pytest.approx(logged)
            else:
                assert got[f"test_cause_{k}_class_accuracy"] is None
    import mlflow

    champion = mlflow.MlflowClient().get_model_version_by_alias("sarlake-qa-uwe", "champion").version
    assert by_version[str(champion)]["aliases"] == ["champion"]
    text = _cli("qa", "report").output
    assert f"| {champion} | " in text and "| failures / hidden islands |" in text
    champ = by_version[str(champion)]
    assert f"{champ['test_f1_uwe2']:.3f} ({champ['test_f1_uwe2_low']:.3f}-{champ['test_f1_uwe2_high']:.3f})" in text
    # the champion's paired lead, as its last promotion recorded it (other tests here promote again)
    lead = champ["margins"][0]
    assert lead["versus"] in by_version and lead["f1_uwe2_difference_low"] <= lead["f1_uwe2_difference_high"]
    assert f"champion v{champion} ahead of v{lead['versus']} ({lead['role']})" in text
    # the second simulator's check: logged per candidate by the run, shown per version by the report
    for c in record["candidates"]:
        m = c["metrics"]
        assert m["second_sim_products"] == 16 and 0.0 <= m["second_sim_accuracy"] <= 1.0
        assert by_version[c["version"]]["second_sim_f1_uwe2"] == pytest.approx(m["second_sim_f1_uwe2"])
    # the fresh scenes' check: 3 scenes no set uses, every candidate scored on the same products
    assert record["dataset"]["fresh_scenes"] == 3
    counts = {c["metrics"]["fresh_products"] for c in record["candidates"]}
    assert len(counts) == 1 and counts.pop() >= 6
    for c in record["candidates"]:
        got = by_version[c["version"]]
        assert got["fresh_f1_uwe2"] == pytest.approx(c["metrics"]["fresh_f1_uwe2"], nan_ok=True)
        assert got["fresh_mean_class_accuracy_low"] <= got["fresh_mean_class_accuracy_high"]
    assert "| second simulator F1 / ROC AUC |" in text
    # wrong cuts in the real check's clean products: a quick run makes none, so the report says so per version
    assert "| real cuts F1 / ROC AUC |" in text
    assert all(by_version[c["version"]]["real_cuts_f1_uwe2"] is None for c in record["candidates"])
    # quick training fits no class thresholds: every version decides by the more probable class of its side
    assert all(by_version[c["version"]]["class_thresholds"] == [0.5, 0.5] for c in record["candidates"])
    assert "| 0.50 / 0.50 |" in text
    # the fixture's versions are of a quick run, and the report says so; a full run's version reads as its model
    assert all(by_version[c["version"]]["quick"] for c in record["candidates"])
    assert f"| {champion} | {champ['model']} (quick run) | champion |" in text
    from pges.train.tracking import QUICK_TAG

    client = mlflow.MlflowClient()
    client.set_model_version_tag("sarlake-qa-uwe", str(champion), QUICK_TAG, "false")  # as a full run tags it
    try:
        full = json.loads(_cli("qa", "report", "--json").output)
        text = _cli("qa", "report").output
    finally:
        client.set_model_version_tag("sarlake-qa-uwe", str(champion), QUICK_TAG, "true")
    assert not {v["version"]: v for v in full["registered"]}[str(champion)]["quick"]
    assert f"| {champion} | {champ['model']} | champion |" in text


def test_a_run_with_the_convnet_also_registers_its_average_with_each_feature_model(trained):
    """The average is a candidate like any other; loaded from the registry it is the mean of its members."""
    import numpy as np

    from pges.train.realcheck import load_real_check
    from pges.train.tracking import score_version
    from sarlake.workflows.qa_train import train_models

    again = train_models(trained[1], models=["random_forest", "convnet"], quick=True)
    version = {c["name"]: c["version"] for c in again["candidates"]}
    assert list(version) == ["random_forest", "convnet", "convnet+random_forest"]
    real = load_real_check(DATA / "qa_real_check.csv")  # the 17 Sydney interferograms, every input kind
    members = [score_version("sarlake-qa-uwe", version[n], real.inputs)[0] for n in ("random_forest", "convnet")]
    (average,) = score_version("sarlake-qa-uwe", version["convnet+random_forest"], real.inputs)
    assert average.shape == (17, 4)
    np.testing.assert_allclose(average, (members[0] + members[1]) / 2, atol=1e-5)


def test_the_unet_model_is_trained_on_scenes_of_its_own_and_served_as_evaluated(trained):
    """The two-step model trains in the pipeline, logs its U-Net's pixel scores, and its registered version
    (LiteRT U-Net and skops classifier, the scorer's loader) scores the 17 real Sydney interferograms as the
    training run's in-memory model (Keras U-Net) did: the run logged the clean ones' mean p(error) and how many
    of all 17 it flagged."""

    from pges.qa.model_io import p_error
    from pges.train.realcheck import load_real_check
    from pges.train.tracking import score_version
    from sarlake.workflows.qa_train import train_models

    again = train_models(trained[1], models=["unet_ordinal_boosting"], quick=True, unet_scenes=6,
                         real_check=str(DATA / "qa_real_check.csv"))
    (candidate,) = again["candidates"]
    assert candidate["name"] == "unet_ordinal_boosting"
    m = candidate["metrics"]
    assert 0 <= m["unet_pixel_recall"] <= 1 and 0 <= m["unet_pixel_precision"] <= 1
    assert m["unet_train_products"] + m["unet_test_products"] >= 20  # ~5 products of each of 6 scenes
    real = load_real_check(DATA / "qa_real_check.csv")
    (served,) = score_version("sarlake-qa-uwe", candidate["version"], real.inputs)
    assert served.shape == (17, 4)
    p = p_error(served)[0]
    assert m["real_clean_products"] == 13  # the manifest's clean interferograms (closure truth)
    assert p[real.clean == 1].mean() == pytest.approx(m["real_clean_mean_p_error"], abs=1e-4)
    assert (p >= 0.5).sum() == m["real_flagged"]


def test_products_of_a_lake_on_s3_are_scored_from_their_objects_and_a_missing_one_is_named(
        trained, s3_server, tmp_path, monkeypatch):
    """A hot lake on S3 (moto): `qa run` reads each product's rasters from its objects.

    Truth: the same objects downloaded by hand and scored from a folder give the same p(error); a product whose
    unwrapped phase object is gone is named (exit 2) and the others are still recorded.
    """
    import os

    import boto3
    from conftest import s3_lake_env

    from lake.query import connect
    from lake.settings import get_settings
    from lake.storage import split_s3
    from pges.qa.score import Scorer, read_product_folder

    registry = get_settings().mlflow_tracking_uri  # the module's lake holds the champion
    for key in [k for k in os.environ if k.startswith("SARLAKE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "s3lake"))
    monkeypatch.setenv("SARLAKE_MLFLOW_TRACKING_URI", registry)
    for key, value in s3_lake_env(s3_server, "qa-s3").items():
        monkeypatch.setenv(key, value)
    settings = get_settings()
    assert _cli("init").exit_code == 0
    assert _cli("aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1").exit_code == 0
    assert _cli("ingest", *map(str, UNW[:3]), "--coherence-dir", str(DATA / "gamma_coherence"), "--aoi", "sydney",
                "--mission", "envisat").exit_code == 0
    rows = connect().sql("SELECT product_id, uri FROM products ORDER BY product_id").fetchall()
    assert len(rows) == 3 and all(uri.startswith("s3://") for _, uri in rows)
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test")
    gone, gone_uri = rows[2]
    s3.delete_object(Bucket=split_s3(gone_uri)[0], Key=f"{split_s3(gone_uri)[1]}/unwrapped_phase.tif")

    run = _cli("qa", "run")
    assert run.exit_code == 2
    assert f"error: {gone}: " in run.stderr and "unwrapped_phase.tif" in run.stderr
    got = dict(connect().sql("SELECT product_id, p_error FROM products WHERE p_error IS NOT NULL").fetchall())
    assert set(got) == {rows[0][0], rows[1][0]}
    feats = dict(connect().sql("SELECT product_id, unw_uri FROM qa_features").fetchall())
    assert feats == {pid: f"{uri}/unwrapped_phase.tif" for pid, uri in rows[:2]}
    assert not [p for p in (Path(settings.scratch)).glob("sarlake-qa-*")]  # the copies are removed

    scorer = Scorer(registry, settings.qa_model_name)
    for pid, uri in rows[:2]:
        bucket, key = split_s3(uri)
        folder = tmp_path / "by-hand" / pid
        folder.mkdir(parents=True)
        for name in ("unwrapped_phase.tif", "coherence.tif", "wrapped_phase.tif", "connected_components.tif",
                     "dem.tif"):
            try:
                s3.download_file(bucket, f"{key}/{name}", str(folder / name))
            except Exception:  # noqa: BLE001 - an ingested ROI_PAC product has no wrapped phase or DEM
                (folder / name).unlink(missing_ok=True)
        (rec,) = scorer.score([read_product_folder(folder, name=pid)])
        assert got[pid] == rec["p_error"]

    # a new champion re-scores the hot products, not those rolled to the archive that have a prediction already
    from lake.write import update
    from sarlake.workflows.qa import unscored_products

    update("products", [{"product_id": rows[0][0], "tier": "archive"}], settings)
    assert unscored_products("a-newer-version") == [rows[1][0], gone]
    assert unscored_products() == [gone]
