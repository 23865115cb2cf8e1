"""On-demand requests are validated before any work; PGE versions resolve from the registry."""

from __future__ import annotations

import pytest


@pytest.fixture
def lake(sarlake_home):
    from lake.catalog import init_lake

    init_lake()
    return sarlake_home


BASE = {"bbox": [14.40, 40.79, 14.46, 40.84], "start_date": "2024-01-20", "end_date": "2024-02-10"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bbox": [14.46, 40.79, 14.40, 40.84]}, "on_demand: bbox [14.46, 40.79, 14.4, 40.84] is not west < east"),
        ({"bbox": [179.5, -17.0, -179.5, -16.0]}, "(west > east would cross the antimeridian: request each side of "
                                                  "180 degrees on its own)"),
        ({"start_date": "2024-02-10", "end_date": "2024-01-20"}, "end_date 2024-01-20 must be after start_date"),
        ({"aoi": "etna"}, "give exactly one of aoi"),
        ({"bbox": None, "aoi": "nowhere"}, "no AOI called 'nowhere'"),
        ({"pge_version": "9.9.9"}, "unknown version '9.9.9' of PGE interferogram; registered: 0.1.0"),
        ({"looks": 0}, "looks: Input should be greater than or equal to 1"),
    ],
)
def test_bad_requests_are_refused_with_one_line(lake, change, message):
    from sarlake.workflows.on_demand import validate_request

    with pytest.raises(ValueError) as info:
        validate_request({**BASE, **change}, "alice")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_good_request_keeps_the_requester(lake):
    from sarlake.workflows.on_demand import validate_request

    request = validate_request({**BASE, "unwrapper": "quality"}, "alice")
    assert request.requester == "alice" and request.unwrapper == "quality"


def test_versions_registry_resolves_current_and_prior_versions(lake):
    from sarlake.workflows.versions import register, registered, resolve

    register("interferogram", "0.0.9", image="ghcr.io/sarlake/pge@sha256:" + "a" * 64, description="older")
    register("interferogram")  # the installed version, with the configured image
    assert [r["version"] for r in registered("interferogram")] == ["0.0.9", "0.1.0"]
    assert resolve("interferogram", "latest", runner="local") == {"version": "0.1.0", "image": None}
    with pytest.raises(ValueError, match="set SARLAKE_RUNNER=kubernetes to run a prior version"):
        resolve("interferogram", "0.0.9", runner="local")
    assert resolve("interferogram", "0.0.9", runner="kubernetes")["image"].endswith("a" * 64)
    assert resolve("interferogram", "latest", runner="kubernetes")["version"] == "0.1.0"
    with pytest.raises(ValueError, match="not MAJOR.MINOR.PATCH"):
        register("interferogram", "v2")


def test_two_versions_of_a_product_coexist_and_latest_picks_the_newest(lake):
    from lake.query import connect
    from lake.write import upsert
    from sarlake.workflows.versions import latest_products_sql

    base = "S1-GUNW-A-R-044-tops-20240208_20240127-050000-01443E_04081N-PP-1a2b"
    rows = [
        {"product_id": f"{base}-v{v.replace('.', '_')}", "product_type": "L2_IFG", "start_time": "2024-01-27T05:00:00Z",
         "version": v, "pge_version": v}
        for v in ("0.9.0", "0.10.0")  # 0.10.0 is newer: a string sort would pick 0.9.0
    ]
    upsert("products", rows)
    con = connect()
    assert con.execute("SELECT count(*) FROM products").fetchone()[0] == 2
    latest = con.execute(latest_products_sql()).fetchall()
    assert len(latest) == 1 and latest[0][0].endswith("-v0_10_0")


def test_cli_registers_and_lists_versions(lake):
    from click.testing import CliRunner

    from sarlake.cli import cli

    out = CliRunner().invoke(cli, ["pge-versions", "register", "interferogram", "0.0.9", "--image", "reg/pge:0.0.9"])
    assert out.exit_code == 0, out.output
    out = CliRunner().invoke(cli, ["pge-versions", "register", "nopge"])
    assert out.exit_code == 2 and "unknown PGE 'nopge'" in out.output
    out = CliRunner().invoke(cli, ["pge-versions", "list", "interferogram"])
    assert "0.0.9" in out.output and "reg/pge:0.0.9" in out.output
    # every PGE's without a name; a misspelt name is refused, not listed as a PGE without versions
    assert CliRunner().invoke(cli, ["pge-versions", "register", "unwrap", "0.0.8"]).exit_code == 0
    listed = CliRunner().invoke(cli, ["pge-versions", "list"]).output.splitlines()
    assert [line.split()[:2] for line in listed] == [["interferogram", "0.0.9"], ["unwrap", "0.0.8"]]
    typo = CliRunner().invoke(cli, ["pge-versions", "list", "interfergram"])
    assert typo.exit_code == 2
    assert "unknown PGE 'interfergram'; PGEs: simulate, interferogram" in typo.output


def test_what_the_trigger_form_sends_passes_the_dags_params_and_becomes_a_request(lake):
    """Airflow's form sends null for an empty optional field and a list field's lines as strings. The AOI was a
    required string (its default '' made the form refuse to trigger) and the bbox's items had to be numbers, so
    neither an AOI nor a bbox request could be sent from the form."""
    from pathlib import Path

    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk.definitions.param import ParamsDict

    from sarlake.workflows.on_demand import validate_request

    bag = DagBag(dag_folder=str(Path(__file__).parents[1] / "dags" / "on_demand.py"))
    params = bag.dags["on_demand"].params
    form = {**params.dump(), "aoi": None, "bbox": ["14.40", "40.79", "14.46", "40.84"],
            "start_date": "2024-01-20", "end_date": "2024-02-10"}
    ParamsDict({k: params.get_param(k) for k in params}).validate()  # the defaults as the form opens
    checked = ParamsDict({k: params.get_param(k) for k in params})
    for k, v in form.items():
        checked[k] = v  # each value validated against its field's schema, as the trigger does
    request = validate_request(checked.dump(), "alice")
    assert request.aoi == "" and request.bbox == [14.40, 40.79, 14.46, 40.84]
    checked["bbox"] = None
    assert validate_request({**checked.dump(), "aoi": None, "bbox": BASE["bbox"]}, "alice").bbox == BASE["bbox"]
    with pytest.raises(Exception, match="does not match"):
        checked["bbox"] = ["14.40", "forty", "14.46", "40.84"]
