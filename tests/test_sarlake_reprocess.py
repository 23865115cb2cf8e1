from __future__ import annotations

import json

from pges.interferogram.config import InterferogramParameters
from sarlake.workflows.reprocess_plan import alternative_parameters


def test_reprocessing_switches_unwrapper_and_strengthens_the_filter_with_valid_parameters():
    default = InterferogramParameters().model_dump(mode="json")
    alt = InterferogramParameters.model_validate(alternative_parameters(default))
    assert default["unwrap"]["method"] == "snaphu" and alt.unwrap.method == "quality"
    assert alt.filter.strength == 0.8 and alt.looks_range == default["looks_range"]
    back = InterferogramParameters.model_validate(alternative_parameters(alt.model_dump(mode="json")))
    assert back.unwrap.method == "snaphu" and back.filter.strength == 1.0
    assert default["unwrap"]["method"] == "snaphu"  # the input is not modified


def test_after_tiled_snaphu_reprocessing_unwraps_the_whole_grid_keeping_snaphus_other_settings():
    """Tiles were one of the issue's "other parameters": after tiled SNAPHU (whose seams slip cycles) the product is
    unwrapped again by SNAPHU in one tile, not by the quality-guided unwrapper."""
    from pges.unwrap.config import UnwrapParameters

    tiled = InterferogramParameters.model_validate({"unwrap": {"method": "snaphu", "ntiles": [4, 3], "tile_overlap":
                                                               200, "cost": "defo", "nproc": 2}})
    alt = InterferogramParameters.model_validate(alternative_parameters(tiled.model_dump(mode="json")))
    assert alt.unwrap.method == "snaphu"
    assert (alt.unwrap.ntiles, alt.unwrap.tile_overlap, alt.unwrap.cost) == ((1, 1), 0, "defo")
    assert alt.filter.strength == 0.8
    unwrapped = UnwrapParameters.model_validate({"unwrap": {"method": "snaphu", "ntiles": [2, 2]}})
    again = UnwrapParameters.model_validate(alternative_parameters(unwrapped.model_dump(mode="json")))
    assert (again.unwrap.method, again.unwrap.ntiles, again.filter.strength) == ("snaphu", (1, 1), 0.3)


def test_dags_link_qa_to_products_and_reprocess_to_predictions():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "dags"
    for name, asset in (("qa.py", "asset('products')"), ("reprocess.py", "asset('qa_predictions')")):
        tree = ast.parse((root / name).read_text())
        sched = [kw for node in ast.walk(tree) if isinstance(node, ast.Call) for kw in node.keywords
                 if kw.arg == "schedule"]
        assert ast.unparse(sched[0].value) == f"[{asset}]"


def test_requested_products_are_reprocessed_whatever_their_score(settings, monkeypatch):
    """product_ids (the browse UI's "request reprocessing") picks exactly those interferograms, from provenance."""
    import browse_lake
    import pytest

    import sarlake.workflows.pge as pge
    from lake.write import upsert
    from sarlake.workflows.reprocess import reprocess_bad_products

    browse_lake.build(settings)
    upsert("provenance", [{"product_id": p, "run_id": f"manual__{p}", "pge_name": "interferogram",
                           "inputs": [f"/slc/{p}_ref.met.json", f"/slc/{p}_sec.met.json"], "parameters": "{}"}
                          for p in browse_lake.PREDICTED], settings)
    asked: list[list[str]] = []

    def run_pge(name, cfg):
        asked.append(cfg["inputs"])
        raise RuntimeError("stop before processing")

    monkeypatch.setattr(pge, "run_pge", run_pge)
    with pytest.raises(RuntimeError, match="stop before"):
        reprocess_bad_products(max_p_error=0.5, product_ids=["IFG_A_02"])  # p_error 0.2: below the threshold
    assert asked == [["/slc/IFG_A_02_ref.met.json", "/slc/IFG_A_02_sec.met.json"]]
    asked.clear()
    # a mistyped id, or a product that is not an interferogram, is refused by name before any PGE runs
    with pytest.raises(ValueError, match=r"^1 requested product\(s\) not in the lake: IFG_A_2 \(`sarlake sql"):
        reprocess_bad_products(product_ids=["IFG_A_02", "IFG_A_2"])
    upsert("products", [{"product_id": "TS_A", "product_type": "L3_TS", "start_time": "2024-01-01T00:00:00Z"}],
           settings)
    with pytest.raises(ValueError, match=r"TS_A is a L3_TS: only interferograms \(L2_IFG\)"):
        reprocess_bad_products(product_ids=["TS_A"])
    assert asked == []
    with pytest.raises(RuntimeError, match="stop before"):
        reprocess_bad_products(max_p_error=0.5)  # without a request: the worst above the threshold first
    worst = max((p for p in browse_lake.PREDICTED), key=lambda p: [0.05, 0.2, 0.95, 0.04, 0.6, 0.97][
        sorted(browse_lake.PREDICTED).index(p)])
    assert asked == [[f"/slc/{worst}_ref.met.json", f"/slc/{worst}_sec.met.json"]]


def test_products_no_slcs_can_remake_neither_fill_the_limit_nor_come_back_every_run(settings):
    """Interferograms ingested from another processor that QA scores worst were taken first, then skipped (no SLCs
    in their provenance) with a warning: with --limit 1 nothing was reprocessed, run after run."""
    import browse_lake

    from lake.write import upsert
    from sarlake.workflows.reprocess_plan import plan_reprocessing

    browse_lake.build(settings)  # its interferograms have the interferogram PGE's provenance
    upsert("products", [{"product_id": f"EXT-ROIPAC-{k}", "product_type": "L2_IFG", "pge_name": "ingest",
                         "p_error": 0.99, "start_time": "2006-06-19T00:00:00Z"} for k in range(3)], settings)
    plans = plan_reprocessing(max_p_error=0.5, limit=1, settings=settings)
    assert [p["original"] for p in plans] == ["IFG_B_03"]  # browse_lake's worst interferogram: p(error) 0.97
    assert [p["original"] for p in plan_reprocessing(max_p_error=0.5, settings=settings)] == \
        ["IFG_B_03", "IFG_A_03", "IFG_B_02"]  # 0.97, 0.95, 0.6: every one above 0.5 the PGE made


def test_a_requested_product_without_a_score_is_planned_as_json_the_dag_can_pass_on(settings):
    """The reprocess DAG's plan task failed on an unscored product asked for: its plan carried p(error) NaN, and
    Airflow refuses an XCom that is not JSON ("Out of range float values are not JSON compliant")."""
    import json

    import browse_lake

    from lake.write import upsert
    from sarlake.workflows.reprocess import to_score
    from sarlake.workflows.reprocess_plan import plan_reprocessing

    browse_lake.build(settings)
    upsert("products", [{"product_id": "IFG_NEW", "product_type": "L2_IFG", "aoi": "a",
                         "start_time": "2024-03-01T00:00:00Z"}], settings)  # not scored yet
    upsert("provenance", [{"product_id": "IFG_NEW", "run_id": "r", "pge_name": "interferogram",
                           "inputs": ["/slc/x.met.json", "/slc/y.met.json"], "parameters": "{}"}], settings)
    plans = plan_reprocessing(product_ids=["IFG_NEW", "IFG_A_02"], settings=settings)
    assert {p["original"]: p["p_error"] for p in plans} == {"IFG_NEW": None, "IFG_A_02": 0.2}
    json.dumps(plans, allow_nan=False)
    # it is scored with its new version, so that the two can be compared
    assert to_score(plans, ["IFG_NEW-b", "IFG_A_02-b"]) == ["IFG_NEW-b", "IFG_A_02-b", "IFG_NEW"]


def test_each_plan_gets_its_own_pges_result_when_both_pges_ran_in_one_run():
    """The reprocess DAG maps the interferogram and the unwrap PGE apart; each returns its results in its own plans'
    order, and the catalogue step must pair every plan with its own product."""
    import pytest

    from sarlake.workflows.reprocess import in_plan_order

    plans = [{"original": "A", "pge": "interferogram"}, {"original": "B", "pge": "unwrap"},
             {"original": "C", "pge": "interferogram"}]
    results = {"interferogram": [{"made": "A2"}, {"made": "C2"}], "unwrap": [{"made": "B2"}]}
    assert [r["made"] for r in in_plan_order(plans, results)] == ["A2", "B2", "C2"]
    with pytest.raises(ValueError, match="1 reprocessing plans for the unwrap PGE but 0 results"):
        in_plan_order(plans, {"interferogram": results["interferogram"], "unwrap": []})


def _made_again(settings, plan: dict, new_id: str, p_error: float, minute: int) -> None:
    """Catalogue ``plan``'s product as the PGE would (its provenance: the plan's inputs and parameters, later)."""
    from datetime import UTC, datetime

    from lake.query import connect
    from lake.write import upsert

    cols = ("product_type", "aoi", "reference_date", "secondary_date", "start_time", "status")
    (found,) = connect(settings, catalogue=False).execute(
        f"SELECT {', '.join(cols)} FROM products WHERE product_id = ?", [plan["original"]]).fetchall()
    row = dict(zip(cols, found, strict=True))
    upsert("products", [{**row, "product_id": new_id, "p_error": p_error, "pge_name": "interferogram"}], settings)
    upsert("provenance", [{"product_id": new_id, "run_id": f"reprocess-{minute}", "pge_name": "interferogram",
                           "inputs": plan["run_config"]["inputs"], "parameters": json.dumps(plan["new_parameters"]),
                           "finished_at": datetime(2025, 1, 1, 0, minute, tzinfo=UTC)}], settings)


def _lineage(settings) -> dict[str, tuple]:
    from lake.query import connect

    return {r[0]: r[1:] for r in connect(settings, catalogue=False).execute(
        "SELECT product_id, original_id, is_default, p_error FROM product_lineage").fetchall()}


def test_a_product_still_bad_after_reprocessing_is_made_again_from_its_last_version_while_attempts_last(
        settings, monkeypatch):
    """Before, a product reprocessed once was never taken again, even when both versions stayed above the threshold.

    Truth: the parameter sequence of the rule "the other unwrapper, the filter 0.3 stronger, at most 1" from the
    interferogram PGE's defaults (SNAPHU, strength 0.5), worked out by hand; the default is the lowest score written.
    """
    import browse_lake

    from lake.settings import get_settings
    from sarlake.workflows.reprocess import record_lineage
    from sarlake.workflows.reprocess_plan import plan_reprocessing

    browse_lake.build(settings)  # IFG_B_03 is the worst (0.97), made by the interferogram PGE with its defaults
    plans = {p["original"]: p for p in plan_reprocessing(max_p_error=0.5, settings=settings)}
    first = plans["IFG_B_03"]
    assert (first["product"], first["base"], first["attempt"]) == ("IFG_B_03", "IFG_B_03", 1)
    assert first["new_parameters"] == {"unwrap": {"method": "quality"}, "filter": {"strength": 0.8}}
    _made_again(settings, first, "IFG_B_03-r1", 0.8, 1)  # better, still above 0.5
    record_lineage([first], ["IFG_B_03-r1"], {"IFG_B_03-r1": 0.8}, "run-1", settings)
    assert _lineage(settings) == {"IFG_B_03": ("IFG_B_03", False, 0.97), "IFG_B_03-r1": ("IFG_B_03", True, 0.8)}

    again = [p for p in plan_reprocessing(max_p_error=0.5, settings=settings) if p["original"] == "IFG_B_03"]
    assert [(p["product"], p["base"], p["attempt"], p["p_error"]) for p in again] == \
        [("IFG_B_03-r1", "IFG_B_03-r1", 2, 0.8)]
    assert again[0]["new_parameters"] == {"unwrap": {"method": "snaphu"}, "filter": {"strength": 1.0}}
    _made_again(settings, again[0], "IFG_B_03-r2", 0.9, 2)  # worse than r1: r1 stays the default
    record_lineage(again, ["IFG_B_03-r2"], {"IFG_B_03-r2": 0.9}, "run-2", settings)
    assert {p: r[1] for p, r in _lineage(settings).items()} == \
        {"IFG_B_03": False, "IFG_B_03-r1": True, "IFG_B_03-r2": False}
    # two attempts (the default): not taken again, by the threshold or by request, unless a run allows more
    assert "IFG_B_03" not in {p["original"] for p in plan_reprocessing(max_p_error=0.5, settings=settings)}
    assert plan_reprocessing(product_ids=["IFG_B_03-r1"], settings=settings) == []
    assert [p["attempt"] for p in plan_reprocessing(product_ids=["IFG_B_03-r1"], settings=settings,
                                                    max_attempts=3)] == [3]

    monkeypatch.setenv("SARLAKE_QA_REPROCESS_ATTEMPTS", "4")
    more = get_settings()
    third = [p for p in plan_reprocessing(max_p_error=0.5, settings=more) if p["original"] == "IFG_B_03"]
    assert [(p["base"], p["attempt"]) for p in third] == [("IFG_B_03-r2", 3)]  # from the last version made
    assert third[0]["new_parameters"] == {"unwrap": {"method": "quality"}, "filter": {"strength": 1.0}}
    _made_again(more, third[0], "IFG_B_03-r3", 0.3, 3)
    record_lineage(third, ["IFG_B_03-r3"], {"IFG_B_03-r3": 0.3}, "run-3", more)
    assert [p for p, r in _lineage(more).items() if r[1]] == ["IFG_B_03-r3"]  # one default per product
    # good now (0.3): not taken; asked for, every other parameter set was tried (SNAPHU at 1.0 was r2's)
    assert "IFG_B_03" not in {p["original"] for p in plan_reprocessing(max_p_error=0.5, settings=more)}
    assert plan_reprocessing(product_ids=["IFG_B_03"], settings=more) == []
