"""DAG policy tests: every DAG imports cleanly, is cheap to parse, and carries tags, retries and typed params."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[1]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))
HEAVY = ("pandas", "pyiceberg", "duckdb", "rasterio", "tensorflow", "mlflow", "snaphu", "numba", "lake.query",
         "lake.catalog", "pges.interferogram", "kubernetes")


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_dag_files_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert {"forward"} <= set(dagbag.dag_ids)
    assert len(dagbag.dag_ids) >= len(DAG_FILES)


def test_every_dag_has_tags_retries_docs_and_static_start(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert "sarlake" in dag.tags
        assert dag.doc_md, f"{dag_id} has no doc_md for the UI"
        assert dag.default_args.get("retries", 0) >= 1, f"{dag_id} has no retries"
        assert dag.catchup is False
        assert dag.start_date is not None and dag.start_date.year < 2026


def test_no_cycles(dagbag):
    from airflow.utils.dag_cycle_tester import check_cycle

    for dag in dagbag.dags.values():
        check_cycle(dag)


def test_parsing_uses_no_connection_or_variable():
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import BaseHook, Variable

    with mock.patch.object(BaseHook, "get_connection") as get_conn, mock.patch.object(Variable, "get") as get_var:
        bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    get_conn.assert_not_called()
    get_var.assert_not_called()


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_parsing_imports_nothing_heavy_and_touches_no_database(dag_file, tmp_path):
    code = f"""
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("dagmod", {str(dag_file)!r})
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r})))
"""
    env = {"PATH": "/usr/bin:/bin", "AIRFLOW_HOME": str(tmp_path / "af"), "SARLAKE_HOME": str(tmp_path / "lake"),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
    assert not (tmp_path / "lake").exists(), "parsing a DAG created the lake"


def test_forward_params_are_typed_and_reject_bad_values(dagbag):
    from airflow.sdk.definitions.param import ParamsDict
    from airflow.sdk.exceptions import ParamValidationError

    dag = dagbag.dags["forward"]
    for name in dag.params.keys():
        param = dag.params.get_param(name)
        assert param.schema.get("type"), f"param {name} has no type"
        assert param.schema.get("title") and param.description, f"param {name} is not explained in the form"
    good = ParamsDict(dict(dag.params.items()))
    good.validate()
    for bad in ({"lookback_days": 5}, {"pairing_neighbours": "two"}, {"aois": ["Bad Name!"]}, {"looks": 0}):
        params = ParamsDict({k: dag.params.get_param(k) for k in dag.params.keys()})
        key, value = next(iter(bad.items()))
        with pytest.raises(ParamValidationError):
            params[key] = value


def test_forward_wires_mapping_and_assets(dagbag):
    dag = dagbag.dags["forward"]
    ifg = dag.get_task("interferogram")
    assert type(ifg).__name__ == "MappedOperator"
    cat = dag.get_task("catalogue")
    assert {o.uri for o in cat.outlets} == {"sarlake://lake/products", "sarlake://lake/provenance"}
    assert dag.get_task("discover").outlets[0].uri == "sarlake://lake/acquisitions"
    order = [t.task_id for t in dag.topological_sort()]
    assert order.index("discover") < order.index("stage") < order.index("plan_pairs") < order.index(
        "interferogram") < order.index("catalogue")


def test_asset_names_match_lake_tables():
    from lake.tables import TABLES
    from sarlake_plugins.assets import TABLE_NAMES

    assert set(TABLE_NAMES) <= set(TABLES)


def test_the_qa_train_dag_offers_every_model_the_train_pge_fits(dagbag):
    """The form offers the PGE's own model list and shows the defaults the PGE applies (an empty field is left
    out of the run-config, so the form's default must be the PGE's or a user would read one and get another)."""
    from pges.train.config import MODEL_NAMES, DatasetParameters, TrainParameters

    params = dagbag.dags["qa_train"].params
    param = params.get_param("models")
    assert param.value == list(MODEL_NAMES)
    assert param.schema["items"]["enum"] == list(MODEL_NAMES)
    for option in ("quick", "seed", "class_thresholds", "crowd_relabel"):
        assert params.get_param(option).value == TrainParameters.model_fields[option].default, option
    assert params.get_param("scenes").value == DatasetParameters.model_fields["scenes"].default


def test_the_qa_train_models_field_is_a_multi_select_that_refuses_unknown_models(dagbag):
    """The form's Models field was a free text box (one name a line): Airflow's form makes an array param a
    multi-select only from the schema's own ``examples`` (or ``enum``), and the model names were in
    ``items.enum`` alone, so a typo could be typed and was refused only when the run was triggered."""
    import copy

    from airflow.sdk.exceptions import ParamValidationError

    from pges.train.config import MODEL_NAMES

    param = dagbag.dags["qa_train"].params.get_param("models")
    assert param.schema["type"] == "array" and param.schema["examples"] == list(MODEL_NAMES)  # the choices
    assert copy.deepcopy(param).resolve() == list(MODEL_NAMES)  # the default: every model
    assert copy.deepcopy(param).resolve(["convnet", "random_forest"]) == ["convnet", "random_forest"]
    for bad in (["convnett"], ["random_forest", "Random Forest"], "convnet", [], ["convnet", "convnet"]):
        with pytest.raises(ParamValidationError):
            copy.deepcopy(param).resolve(bad)


def test_the_catalog_dag_runs_one_dbt_build_that_the_model_tasks_watch(dagbag):
    """One dbt process writes the catalogue's DuckDB file, which one process at a time may open for writing: the
    model tasks, each its own dbt process, failed each other side by side ("Could not set lock on file ...
    catalogue.duckdb: Conflicting lock is held in" a sibling task's process), so they ran one at a time (4-12 min
    a run). Now one task runs ``dbt build`` and every model of the manifest has a task that only watches it
    (a deferrable sensor, no dbt of its own unless cleared), so those may run side by side."""
    from airflow.sdk.bases.sensor import BaseSensorOperator

    from sarlake_plugins.catalog import MANIFEST, PRODUCER

    dag = dagbag.dags["catalog"]
    models = {n["name"] for n in json.loads(MANIFEST.read_text())["nodes"].values() if n["resource_type"] == "model"}
    dbt_tasks = [t for t in dag.tasks if t.task_id != "check_conf"]
    builders = [t for t in dbt_tasks if not isinstance(t, BaseSensorOperator)]
    assert [t.task_id for t in builders] == [PRODUCER]
    assert builders[0].base_cmd == ["build"]
    watched = {t.task_id.split(".")[0].removesuffix("_run") for t in dbt_tasks if t.task_id.endswith("run")}
    assert models <= watched, sorted(models - watched)
    assert all(t.deferrable for t in dbt_tasks if t is not builders[0])  # a waiting watcher takes no worker slot
    assert dag.max_active_tasks > 1
    # Cosmos skips a retried producer and a retried watcher runs dbt for its model in a process of its own
    assert {t.retries for t in dbt_tasks} == {0}


def test_the_catalog_dag_checks_the_trigger_conf_before_any_dbt_task(dagbag):
    """``check_conf`` is the only root; a dbt task with no other parent waits for it, so a refused conf leaves
    every model task upstream_failed instead of watching (30 min, its timeout) for a build that never starts."""
    from sarlake_plugins.catalog import PRODUCER

    dag = dagbag.dags["catalog"]
    assert [t.task_id for t in dag.roots] == ["check_conf"]
    check = dag.get_task("check_conf")
    assert PRODUCER in check.downstream_task_ids
    for task in check.downstream_list:
        others = task.upstream_task_ids - {"check_conf"}
        # under check_conf alone: all_success; also under the producer: start while it runs, once the check passed
        assert task.trigger_rule == ("all_success" if not others or task.task_id == PRODUCER else "one_success")
    assert not [t.task_id for t in dag.tasks if t.trigger_rule == "always"]


def test_the_catalog_trigger_form_shows_no_param_of_cosmos():
    """Cosmos keeps its telemetry metadata in a DAG param (``__cosmos_telemetry_metadata__``, "Do not edit."), so
    the catalog DAG's trigger form showed an operator a field of compressed text; the DAG has no params of its own.
    Parsed with Cosmos's telemetry on (its default; DO_NOT_TRACK in an environment would hide the param anyway)."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    with mock.patch("cosmos.converter.should_emit", return_value=True):
        dag = DagBag(dag_folder=str(ROOT / "dags" / "catalog.py")).dags["catalog"]
    assert dict(dag.params) == {}
    assert not [t.task_id for t in dag.tasks if any(name.startswith("__cosmos") for name in t.params)]
    assert not DagSerialization.to_dict(dag)["dag"].get("params")  # what the UI's form is built from


#: the planners whose return value is every run-config, acquisition or AOI row of the run (not only those
#: that feed a mapped task directly)
PLANNERS = {("bulk", "plan"), ("on_demand", "plan"), ("forward", "select_aois")}


def test_planning_tasks_log_a_summary_not_every_run_config(dagbag):
    """Airflow logs a task's whole return value in one line ('Done. Returned value was: [...]'): for a task
    that plans the run (the run-configs a mapped PGE task maps over, the acquisitions found) that line grows
    with the data (500 met.json URIs per qa batch, an acquisition's footprint each) and buries the task's own
    summary ('5 pairs, 0 already catalogued, 5 to process'). Those tasks keep their value in XCom only."""
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    planners = set(PLANNERS)
    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            if isinstance(task, MappedOperator):
                planners |= {(dag_id, u.task_id) for u in task.upstream_list if not isinstance(u, MappedOperator)}
    assert ("forward", "plan_pairs") in planners and ("qa", "plan") in planners
    shown = sorted(f"{dag_id}.{task_id}" for dag_id, task_id in planners
                   if dagbag.dags[dag_id].get_task(task_id).show_return_value_in_logs)
    assert not shown, f"these tasks log their whole return value: {shown}"


def test_an_urgent_run_that_catalogues_nothing_announces_no_products(dagbag, monkeypatch):
    """A run with no event to process (a feed with nothing new, a manual run) announced products and
    provenance, so qa, quality_gate and timeseries ran for nothing (qa failing on a fresh stack). The task
    announces them through aliases, and only when it catalogued something."""
    from collections import defaultdict

    import sarlake.workflows.urgent as workflow
    from sarlake_plugins.assets import asset, asset_alias
    from sarlake_plugins.urgent import catalogue_and_qa

    outlets = dagbag.dags["urgent_response"].get_task("catalogue_and_qa").outlets
    assert asset("products") not in outlets and asset("provenance") not in outlets
    assert {asset_alias("products"), asset_alias("provenance")} <= set(outlets)

    class Events(list):
        add = list.append

    for ids in ([], ["S1-GUNW-A-R-044-tops-20240208_20240127-050000-01444E_04081N-PP-ab12-v0_1_0"]):
        monkeypatch.setattr(workflow, "finish", lambda results, plans, ids=ids, **kw: list(ids))
        monkeypatch.setattr(workflow, "score_coseismic", lambda product_ids, **kw: [])
        events: defaultdict = defaultdict(Events)
        assert catalogue_and_qa([], [], {"run_id": "r", "outlet_events": events})["products"] == ids
        announced = {a.name for v in events.values() for a in v}
        assert announced == ({"sarlake.products", "sarlake.provenance"} if ids else set()), (ids, announced)


def test_every_dag_says_in_one_line_what_it_does_and_when_it_runs(dagbag):
    """The DAG list showed no description for any DAG (its tooltip on the DAG's name was empty). Each says when it
    runs in the words of its schedule: no schedule is "On request", a cron preset its period, Assets "When ..."."""
    when = {"@daily": "Daily", "@weekly": "Weekly"}
    for dag_id, dag in dagbag.dags.items():
        text = dag.description
        assert text and "\n" not in text and 30 <= len(text) <= 110, f"{dag_id}: {text!r}"
        kind = type(dag.timetable).__name__
        if kind == "NullTimetable":
            assert text.startswith("On request"), f"{dag_id} runs when triggered: {text!r}"
        elif kind == "AssetTriggeredTimetable":
            assert text.startswith("When "), f"{dag_id} runs on lake changes: {text!r}"
        else:
            assert text.startswith(when[dag.schedule]), f"{dag_id} runs {dag.schedule}: {text!r}"


#: params an operator may leave empty: each DAG's doc and its tasks read empty as "all" or "the default"
OPTIONAL = {"bulk": ("aois", "tracks"), "forward": ("aois", "pairing_neighbours"), "timeseries": ("aois",),
            "on_demand": ("aoi", "bbox", "tracks"), "reprocess": ("max_p_error", "max_attempts", "product_ids"),
            "urgent_response": ("feed_url",),
            "ingest": ("wavelength_m", "track", "orbit_state", "los_sign", "mission", "coherence"),
            "unwrap": ("wavelength_m", "track", "orbit_state", "mission", "coherence", "coherence_dirs")}


def _marked_required(schema: dict) -> bool:
    """Airflow 3.3's trigger form (FlexibleForm's isRequired) puts a red * by a param whose type has no "null"."""
    kind = schema.get("type")
    return bool(kind) and (not isinstance(kind, list) or "null" not in kind)


def test_optional_params_are_not_marked_required_and_an_empty_field_is_accepted(dagbag):
    """Optional list fields (AOIs, Tracks, Products) showed the form's red * "required": their type was "array".
    The form also sends null for a list field the operator cleared, which such a schema refused."""
    import copy

    for dag_id, names in OPTIONAL.items():
        for name in names:
            param = dagbag.dags[dag_id].params.get_param(name)
            assert not _marked_required(param.schema), f"{dag_id}.{name} is marked required"
            assert copy.deepcopy(param).resolve(None) is None  # the form's cleared field
            if "array" in param.schema["type"] and "minItems" not in param.schema:
                assert copy.deepcopy(param).resolve([]) == []
    # a param that must have a value keeps its mark
    assert _marked_required(dagbag.dags["bulk"].params.get_param("start_date").schema)


def test_an_optional_dropdown_names_its_empty_choice_instead_of_showing_null(dagbag):
    """The ingest form's Orbit state and LOS sign showed "null" selected (seen in a browser): Airflow 3.3's dropdown
    labels a choice by the schema's values_display, "null" by its "None" key, else prints the JSON value."""
    found = 0
    for dag_id, dag in dagbag.dags.items():
        for name, param in dag.params.items():
            enum = param.schema.get("enum") or []
            if None in enum:
                found += 1
                label = (param.schema.get("values_display") or {}).get("None")
                assert label, f"{dag_id}.{name}: its empty choice shows as 'null'"
                assert label != "null", f"{dag_id}.{name}"
    assert found >= 2  # the ingest form's orbit_state and los_sign at least


def test_the_tasks_read_a_cleared_list_field_as_the_empty_list(dagbag):
    """What the bulk and on-demand tasks make of a conf whose list fields are null: the same as of empty lists."""
    from sarlake.workflows.bulk import BulkRequest
    from sarlake.workflows.on_demand import OnDemandRequest

    bulk = {"start_date": "2024-01-01", "end_date": "2024-03-01"}
    assert BulkRequest(**bulk, aois=None, tracks=None) == BulkRequest(**bulk, aois=[], tracks=[])
    od = {"aoi": "etna", "start_date": "2024-01-01", "end_date": "2024-02-01"}
    assert OnDemandRequest(**od, tracks=None) == OnDemandRequest(**od, tracks=[])


def test_a_refused_aoi_name_is_explained_in_the_operators_words(dagbag):
    """A bad AOI name was refused with the raw regex alone. Airflow shows the refusal as the schema that refused
    the value, so that schema, and the field's help under it, must say what an AOI name is."""
    import copy

    from airflow.sdk.exceptions import ParamValidationError

    for dag_id, name, bad in (("bulk", "aois", ["Vesuvius Crater"]), ("forward", "aois", ["Etna!"]),
                              ("timeseries", "aois", ["etna", "Campi Flegrei"]), ("on_demand", "aoi", "Etna!"),
                              ("ingest", "aoi", "Sydney Harbour"), ("unwrap", "aoi", "Sydney Harbour")):
        param = dagbag.dags[dag_id].params.get_param(name)
        help_text = param.description or param.schema.get("description_md") or ""
        with pytest.raises(ParamValidationError) as refused:
            copy.deepcopy(param).resolve(bad)
        shown = re.sub(r"""['"]\n\s*['"]""", "", str(refused.value))  # the schema printed, long strings in pieces
        for text in (shown, help_text):
            assert "1-63 lower-case letters, digits, '_' or '-', starting with a letter or digit" in text, text


def test_the_unwrap_form_offers_what_the_unwrap_pge_takes(dagbag):
    """The unwrap form writes its formats and defaults out (the PGE's parameters import the interferogram PGE's,
    which parsing a DAG must not): they must be the PGE's own, or the form would offer what the PGE refuses."""
    from typing import get_args

    from pges.unwrap.config import UnwrapParameters
    from sarlake_plugins.unwrap import unwrap_parameters

    params = dagbag.dags["unwrap"].params
    assert params.get_param("source_format").schema["enum"] == list(get_args(
        UnwrapParameters.model_fields["source_format"].annotation))
    assert params.get_param("orbit_state").schema["enum"][1:] == list(get_args(get_args(
        UnwrapParameters.model_fields["orbit_state"].annotation)[0]))
    defaults = UnwrapParameters()  # the PGE's defaults, against the form's untouched fields
    chosen = UnwrapParameters.model_validate(unwrap_parameters(dict(params.dump())))
    assert chosen == defaults
