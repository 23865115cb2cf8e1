"""The ``unwrap`` DAG: its wiring, and its plan is the run-config `sarlake unwrap` runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
INT = "/data/isce/interferograms/20180101_20180113/filt_fine.int"
GOOD = {"paths": [INT], "aoi": "sydney", "looks_azimuth": 2, "looks_range": 3, "method": "quality",
        "filter_strength": 0.4, "min_coherence": 0.1, "coherence": "s3://bucket/coh/20180101_20180113.cor",
        "coherence_dirs": [], "source_format": "isce2", "wavelength_m": 0.0554658, "track": 71,
        "orbit_state": "ascending", "mission": "sentinel-1a", "replace": True, "pairs": ["20180113_20180101"]}


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "unwrap.py"))
    assert bag.import_errors == {}
    return bag.dags["unwrap"]


def test_the_dag_checks_its_conf_then_plans_unwraps_and_catalogues_the_products(dag):
    assert [t.task_id for t in dag.topological_sort()] == ["check_conf", "plan", "unwrap", "catalogue"]
    assert dag.schedule is None
    assert type(dag.get_task("unwrap")).__name__ == "MappedOperator"
    assert {o.uri for o in dag.get_task("catalogue").outlets} >= {"sarlake://lake/products"}
    assert dag.get_task("plan").retries == 0


def test_the_plan_is_the_run_config_the_cli_runs(settings, monkeypatch):
    """`sarlake unwrap` with the same choices as options and the DAG's plan build the same run-config; only the run
    id differs (the DAG run's). The PGE is not run: the paths need not exist for the plan."""
    import sarlake.workflows.pge as pge
    from pges.unwrap.config import UnwrapParameters
    from sarlake.cli import cli
    from sarlake_plugins.unwrap import plan_unwrap

    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert runner.invoke(cli, ["aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1"]).exit_code == 0
    ran: list[dict] = []
    monkeypatch.setattr(pge, "run_pge", lambda name, cfg: ran.append(cfg) or {"products": []})
    monkeypatch.setattr("sarlake.cli.params.PathOrS3.convert", lambda self, value, param, ctx: value)
    result = runner.invoke(cli, ["unwrap", INT, "--aoi", "sydney", "--format", "isce2", "--looks", "2", "3",
                                 "--method", "quality",
                                 "--filter-strength", "0.4", "--min-coherence", "0.1", "--coherence", GOOD["coherence"],
                                 "--wavelength", "0.0554658", "--track", "71", "--orbit-state", "ascending",
                                 "--mission", "sentinel-1a", "--replace", "--pair", "20180113_20180101"],
                            catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (cli_config,) = ran
    (dag_config,) = plan_unwrap(dict(GOOD), {"run_id": "manual__2026-12-06T00:00:00"})
    assert dag_config["run_id"] == "manual__2026-12-06T00:00:00"
    assert cli_config["run_id"].startswith("manual__unwrap__")
    dag_params = UnwrapParameters.model_validate(dag_config["parameters"])
    assert dag_params == UnwrapParameters.model_validate(cli_config["parameters"])
    assert dag_params.source_format == "isce2"
    assert (dag_params.looks_azimuth, dag_params.looks_range, dag_params.unwrap.method) == (2, 3, "quality")
    assert dag_params.overwrite is True
    assert dag_params.pairs == ["20180113_20180101"]
    assert {**dag_config, "run_id": None, "parameters": None} == {**cli_config, "run_id": None, "parameters": None}


@pytest.mark.parametrize(("init", "says"), [(False, r"is not initialised"), (True, r"aoi 'nowhere' does not exist")])
def test_a_missing_lake_or_aoi_fails_the_plan_without_retries(settings, init, says):
    from airflow.sdk.exceptions import AirflowFailException

    from sarlake.cli import cli
    from sarlake_plugins.unwrap import plan_unwrap

    if init:
        assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    with pytest.raises(AirflowFailException, match=says):
        plan_unwrap({**GOOD, "aoi": "nowhere"}, {"run_id": "r"})


def test_the_cli_and_the_form_offer_the_formats_the_pge_reads():
    """Both write the formats out (neither may import the PGE's parameters at --help or DAG parse)."""
    from typing import get_args

    from pges.unwrap.config import UnwrapParameters
    from sarlake.cli.unwrap import FORMATS
    from sarlake_plugins.params import UNWRAP_FORMATS

    assert FORMATS == UNWRAP_FORMATS == list(get_args(UnwrapParameters.model_fields["source_format"].annotation))
