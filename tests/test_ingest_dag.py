"""The ``ingest`` DAG: its form refuses what the PGE would, and its plan is the run-config `sarlake ingest` runs."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
UNW = sorted((Path(__file__).parent / "data" / "envisat_sydney_roipac" / "roipac_unw").glob("*.unw"))[:2]
GOOD = {"paths": [str(p) for p in UNW], "aoi": "sydney", "source_format": "roipac", "mission": "envisat",
        "track": 402, "orbit_state": "descending", "wavelength_m": 0.0562356, "skip_bad": True, "replace": True,
        "revision": 3}


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "ingest.py"))
    assert bag.import_errors == {}
    return bag.dags["ingest"]


def _check(dag, conf):
    from sarlake_plugins.conf import check_params

    schemas = {name: dict(dag.params.get_param(name).schema) for name in dag.params.keys()}
    params = {name: dag.params.get_param(name).value for name in dag.params.keys() if name not in ("paths", "aoi")}
    check_params("ingest", conf, {**params, **conf}, schemas)


def test_the_dag_checks_its_conf_then_plans_ingests_and_catalogues_the_products(dag):
    assert [t.task_id for t in dag.topological_sort()] == ["check_conf", "plan", "ingest", "catalogue"]
    assert dag.schedule is None
    assert type(dag.get_task("ingest")).__name__ == "MappedOperator"
    assert {o.uri for o in dag.get_task("catalogue").outlets} >= {"sarlake://lake/products"}
    assert dag.get_task("plan").retries == 0  # an unknown AOI is not retried


def test_a_good_conf_passes_and_an_unknown_key_or_bad_aoi_is_refused(dag):
    from airflow.sdk.exceptions import AirflowFailException

    _check(dag, GOOD)
    _check(dag, {"paths": ["s3://bucket/hyp3-jobs/"], "aoi": "sydney", "los_sign": "toward", "coherence": None})
    _check(dag, {**GOOD, "coherence_dirs": ["s3://bucket/gamma/coherence/", "/data/coherence"]})
    _check(dag, {**GOOD, "coherence_dirs": None})
    with pytest.raises(AirflowFailException, match=r"unknown trigger key\(s\) 'overwrite'; valid keys: aoi, "):
        _check(dag, {**GOOD, "overwrite": True})  # the PGE's name; the form's is replace
    for key, bad in (("aoi", "Sydney Harbour"), ("paths", []), ("source_format", "tiff"), ("los_sign", "up"),
                     ("wavelength_m", 1.5), ("track", -1), ("coherence_dirs", [""]), ("coherence_dirs", "s3://b/c/"),
                     ("revision", 1)):
        with pytest.raises(AirflowFailException, match=rf"parameter {key}="):
            _check(dag, {**GOOD, key: bad})


def test_the_form_shows_the_pges_defaults_and_choices(dag):
    from airflow.sdk.exceptions import ParamValidationError

    from pges.ingest.config import IngestParameters
    from sarlake.cli.ingest import FORMATS

    fields = IngestParameters.model_fields
    params = dag.params
    assert params.get_param("source_format").schema["enum"] == FORMATS
    assert params.get_param("source_format").value == fields["source_format"].default
    assert params.get_param("replace").value is fields["overwrite"].default
    assert params.get_param("skip_bad").value is fields["skip_bad"].default
    coherence_dirs = params.get_param("coherence_dirs")  # a list like paths and coherence, one a line in the form
    assert coherence_dirs.schema["title"] == "Coherence folders"
    assert coherence_dirs.schema["items"] == {"type": "string", "minLength": 1}
    assert "s3://bucket/prefix/" in coherence_dirs.description
    assert coherence_dirs.value == fields["coherence_dirs"].default_factory()  # type: ignore[misc]
    assert params.get_param("los_sign").schema["enum"] == [None, "toward", "away"]
    assert copy.deepcopy(params.get_param("wavelength_m")).resolve(None) is None  # optional: the form's empty field
    with pytest.raises(ParamValidationError, match="no default value"):
        copy.deepcopy(params.get_param("aoi")).resolve()  # no default: the form marks it required


def test_the_plan_is_the_run_config_the_cli_runs(settings, monkeypatch):
    """`sarlake ingest` and the DAG's plan build the same run-config (``ingest_run_config``), the AOI's polygon
    filled in, the coherence folders (a local one and an S3 prefix) and the download limits of the settings passed,
    and the products under ``L2_IFG/<aoi>``; only the run id differs (the DAG run's)."""
    import sarlake.workflows.pge as pge
    from lake.aoi import get_aoi
    from lake.settings import get_settings
    from sarlake.cli import cli
    from sarlake_plugins.ingest import plan_ingest

    monkeypatch.setenv("SARLAKE_INGEST__MAX_OBJECTS", "7")
    monkeypatch.setenv("SARLAKE_INGEST__MAX_GIB", "0.5")
    coherence_dirs = [str(UNW[0].parents[1] / "gamma_coherence"), "s3://bucket/gamma/coherence/"]
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert runner.invoke(cli, ["aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1"]).exit_code == 0
    ran: list[dict] = []
    monkeypatch.setattr(pge, "run_pge", lambda name, cfg: ran.append(cfg) or {"products": []})
    result = runner.invoke(cli, ["ingest", *GOOD["paths"], "--aoi", "sydney", "--format", "roipac", "--mission",
                                 "envisat", "--track", "402", "--orbit-state", "descending", "--wavelength",
                                 "0.0562356", "--skip-bad", "--replace", "--revision", "3", "--coherence-dir",
                                 coherence_dirs[0], "--coherence-dir", coherence_dirs[1]], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (cli_config,) = ran
    (dag_config,) = plan_ingest(dict(GOOD, coherence=[], los_sign=None, coherence_dirs=[*coherence_dirs, " "]),
                                {"run_id": "manual__2026-12-05T00:00:00"})
    assert dag_config["run_id"] == "manual__2026-12-05T00:00:00"
    assert cli_config["run_id"].startswith("manual__ingest__")
    assert {**dag_config, "run_id": None} == {**cli_config, "run_id": None}
    assert dag_config["parameters"]["aoi_wkt"] == get_aoi("sydney").geometry_wkt
    assert dag_config["parameters"]["overwrite"] is True
    assert dag_config["parameters"]["revision"] == 3
    assert dag_config["parameters"]["coherence_dirs"] == coherence_dirs
    assert (dag_config["parameters"]["max_objects"], dag_config["parameters"]["max_gib"]) == (7, 0.5)
    assert dag_config["output_dir"].endswith("/L2_IFG/sydney")
    assert dag_config["output_dir"].startswith(str(get_settings().products_root).removeprefix("file://"))


def test_an_unknown_aoi_fails_the_plan_without_retries(settings):
    from airflow.sdk.exceptions import AirflowFailException

    from sarlake.cli import cli
    from sarlake_plugins.ingest import plan_ingest

    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    with pytest.raises(AirflowFailException, match=r"aoi 'nowhere' does not exist; the lake's AOIs are: \(none\)"):
        plan_ingest({**GOOD, "aoi": "nowhere"}, {"run_id": "r"})


def test_a_lake_never_initialised_fails_the_plan_without_retries(settings):
    """Before, plan raised CatalogError only when the AOI was looked up; the PGE never ran, but the task failed with
    a traceback instead of the one line that says what to do."""
    from airflow.sdk.exceptions import AirflowFailException

    from sarlake_plugins.ingest import plan_ingest

    with pytest.raises(AirflowFailException, match=r"is not initialised .*; run `sarlake init` first"):
        plan_ingest(GOOD, {"run_id": "r"})


def test_an_archived_product_refused_at_cataloguing_names_the_forms_fields_and_the_next_revision(settings,
                                                                                                  monkeypatch):
    """The DAG's catalogue task gives the advice the CLI gives, in the form's words; a product archived at
    revision 2 is told revision 3."""
    import lake.catalogue
    from lake.exceptions import ArchivedContentError, ProductMetadataError
    from sarlake.cli import cli
    from sarlake.workflows.ingest import catalogue_result

    assert CliRunner().invoke(cli, ["init"]).exit_code == 0

    def refuse(met_uris, run_context):
        raise ArchivedContentError("P is archived with other content", "P", "0.1.0.2")

    monkeypatch.setattr(lake.catalogue, "catalogue_products", refuse)
    result = {"products": [{"id": "P", "met_uri": "/x/P/P.met.json"}]}
    with pytest.raises(ProductMetadataError) as form:
        catalogue_result(result, "/x", {}, form=True)
    assert "ingest it again with replace ticked and revision 3. Nothing of this run" in str(form.value)
    with pytest.raises(ProductMetadataError) as cli:
        catalogue_result(result, "/x", {})
    assert "ingest it again with `--replace --revision 3`. Nothing of this run" in str(cli.value)


def test_an_archived_product_refused_at_cataloguing_fails_the_task_without_retries(settings, monkeypatch):
    """The refusal was an ordinary error, so Airflow tried the catalogue task three times, the same files refused
    each time (seen in the UI, 2026-12-06). It is now an AirflowFailException, which Airflow never retries."""
    from airflow.sdk.exceptions import AirflowFailException

    import lake.catalogue
    from lake.exceptions import ArchivedContentError, ProductMetadataError
    from sarlake.cli import cli
    from sarlake_plugins.ingest import catalogue_ingest

    assert CliRunner().invoke(cli, ["init"]).exit_code == 0

    def refuse(met_uris, run_context):
        raise ArchivedContentError("P is archived with other content", "P", "0.1.0")

    monkeypatch.setattr(lake.catalogue, "catalogue_products", refuse)
    results = [{"products": [{"id": "P", "met_uri": "/x/P/P.met.json"}]}]
    with pytest.raises(AirflowFailException, match="replace ticked and revision 2"):
        catalogue_ingest(results, [{"output_dir": "/x"}], {"run_id": "r"})

    def unreadable(met_uris, run_context):
        raise ProductMetadataError("/x/P/P.met.json: cannot read the met.json (connection reset)")

    monkeypatch.setattr(lake.catalogue, "catalogue_products", unreadable)
    with pytest.raises(ProductMetadataError):  # may pass on a later try: retried as before
        catalogue_ingest(results, [{"output_dir": "/x"}], {"run_id": "r"})


@pytest.mark.parametrize("task", ["unwrap", "forward"])
def test_the_other_catalogue_tasks_fail_a_refusal_without_retries(settings, monkeypatch, task):
    """The unwrap DAG (re-unwrapping an archived product with other parameters) and the forward DAG catalogue
    through the same refusal."""
    from airflow.sdk.exceptions import AirflowFailException

    import lake.catalogue
    from lake.exceptions import ArchivedContentError
    from sarlake_plugins.forward import catalogue
    from sarlake_plugins.unwrap import catalogue_unwrap

    def refuse(met_uris, run_context, kept=()):
        raise ArchivedContentError("P version 0.1.0 is archived with other content", "P", "0.1.0")

    monkeypatch.setattr(lake.catalogue, "catalogue_products", refuse)
    results = [{"products": [{"id": "P", "met_uri": "/x/P/P.met.json"}]}]
    with pytest.raises(AirflowFailException, match="is archived with other content"):
        if task == "unwrap":
            catalogue_unwrap(results, {"run_id": "r"})
        else:
            catalogue(results, context={"run_id": "r"})


def test_the_on_demand_catalogue_task_fails_a_refusal_without_retries_and_keeps_the_requester(settings,
                                                                                                monkeypatch):
    """On-demand catalogued in its DAG file with no refusal handling, so its task retried the refusal twice
    (`retries: 2`); it now calls the forward catalogue, as bulk does, with the requester for provenance."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk.exceptions import AirflowFailException

    import lake.catalogue
    from lake.exceptions import ArchivedContentError

    bag = DagBag(dag_folder=str(ROOT / "dags" / "on_demand.py"))
    assert bag.import_errors == {}
    task = bag.dags["on_demand"].get_task("catalogue")
    results = [{"products": [{"id": "P", "met_uri": "/x/P/P.met.json"}]}]
    contexts: list[dict] = []
    monkeypatch.setattr(lake.catalogue, "catalogue_products", lambda uris, ctx, kept=(): contexts.append(ctx) or ["P"])
    assert task.python_callable(results, {"requester": "alice"}, run_id="r") == ["P"]
    assert contexts[0]["requester"] == "alice"
    assert contexts[0]["run_id"] == "r"

    def refuse(met_uris, run_context, kept=()):
        raise ArchivedContentError("P version 0.1.0 is archived with other content", "P", "0.1.0")

    monkeypatch.setattr(lake.catalogue, "catalogue_products", refuse)
    with pytest.raises(AirflowFailException, match="is archived with other content"):
        task.python_callable(results, {"requester": "alice"}, run_id="r")


def test_a_revision_without_replace_is_named_in_the_task_log_for_the_kept_products(settings, monkeypatch):
    """The ingest form's revision without replace left a published product at its version, and the log said only
    that it was kept."""
    import logging

    import lake.catalogue
    from sarlake.cli import cli
    from sarlake_plugins.ingest import catalogue_ingest

    class Lines(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(record.getMessage())

    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    monkeypatch.setattr(lake.catalogue, "catalogue_products", lambda uris, ctx: ["P"])
    results = [{"products": [{"id": "P", "met_uri": "/x/P/P.met.json", "skipped": True}]}]
    handler = Lines()
    logging.getLogger("sarlake_plugins.ingest").addHandler(handler)
    try:
        assert catalogue_ingest(results, [{"output_dir": "/x", "parameters": {"revision": 2}}], {"run_id": "r"})[
            "kept"] == 1
        assert handler.lines == [
            "revision 2 was not applied to the 1 product(s) already published and kept at their version: tick "
            "replace as well to re-ingest them at that revision"]
        catalogue_ingest(results, [{"output_dir": "/x", "parameters": {}}], {"run_id": "r"})
        assert len(handler.lines) == 1
    finally:
        logging.getLogger("sarlake_plugins.ingest").removeHandler(handler)


def test_the_task_log_names_a_removed_product_the_ingest_catalogued_again(settings, caplog):
    """The catalogue task of an ingest run that met a removed product's kept folder catalogued it again and logged
    only "already published and kept"; provenance ended at the removal."""
    import json
    import logging

    from sarlake.cli import cli
    from sarlake_plugins.ingest import catalogue_ingest

    unw = str(sorted((Path(__file__).parent / "data" / "envisat_sydney_roipac" / "roipac_unw").glob("*.unw"))[0])
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert runner.invoke(cli, ["aoi", "add", "sydney", "--bbox", "150", "-35", "152", "-33"]).exit_code == 0
    made = runner.invoke(cli, ["ingest", unw, "--aoi", "sydney", "--mission", "envisat"])
    pid = made.output.split()[0]
    (met_uri,) = [r["met_uri"] for r in json.loads(runner.invoke(cli, ["sql", "SELECT met_uri FROM products",
                                                                        "--format", "json"]).output)]
    assert runner.invoke(cli, ["products", "remove", pid]).exit_code == 0
    results = [{"products": [{"id": pid, "met_uri": met_uri, "skipped": True}]}]  # what the PGE reports for it
    logger = logging.getLogger("sarlake_plugins.ingest")
    logger.addHandler(caplog.handler)  # the task logger does not reach the root logger under Airflow's settings
    try:
        summary = catalogue_ingest(results, [{"output_dir": "/x", "parameters": {}}],
                                   {"run_id": "manual__2026-12-07T13:00:00+00:00"})
    finally:
        logger.removeHandler(caplog.handler)
    assert (summary["kept"], summary["returned"]) == (1, 1)
    assert f"{pid} had been removed from the catalogue (remove__" in caplog.text
    query = f"SELECT run_id, dag_id FROM provenance WHERE pge_name = 'sarlake-return' AND product_id = '{pid}'"
    rows = json.loads(runner.invoke(cli, ["sql", query, "--format", "json"]).output)
    assert rows == [{"run_id": "manual__2026-12-07T13:00:00+00:00", "dag_id": "ingest"}]
