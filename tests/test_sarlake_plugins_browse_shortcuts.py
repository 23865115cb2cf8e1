"""Browse UI operator shortcuts and mapped-task labels, checked against the real DAG files.

A shortcut is right when the DAG it names would accept its conf: every key is one of the DAG's params and every
value passes the param's schema (the check the run's own ``check_conf`` task makes). The truth for targets is the
small test lake (``tests/browse_lake.py``): which AOIs exist, which product is archived. Mapped PGE tasks must
carry their pair label through DAG serialization (what the scheduler and the UI see).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import browse_lake
import pytest

ROOT = Path(__file__).resolve().parents[1]
#: DAGs that map PGE runs over pairs or groups (dynamic task mapping)
MAPPING_DAGS = ("forward", "bulk", "on_demand", "urgent_response", "timeseries", "reprocess", "qa")


@pytest.fixture(scope="module")
def dags():
    from airflow.dag_processing.dagbag import DagBag

    out = {}
    for name in (*MAPPING_DAGS, "archive_restore"):
        bag = DagBag(dag_folder=str(ROOT / "dags" / f"{name}.py"))
        assert not bag.import_errors, bag.import_errors
        out.update(bag.dags)
    return out


@pytest.fixture
def lake(settings):
    from lake.query import connect

    browse_lake.build(settings)
    return connect(settings)


def _accepted(dag, conf):
    """Run the DAG's own trigger-conf check (sarlake_plugins.conf) on ``conf``; raises when refused."""
    from sarlake_plugins.conf import check_params

    params = {**{k: dag.params[k] for k in dag.params.keys()}, **conf}
    schemas = {k: dict(dag.params.get_param(k).schema) for k in dag.params.keys()}
    check_params(dag.dag_id, conf, params, schemas)


def test_each_shortcut_is_a_conf_its_dag_accepts(lake, dags):
    from sarlake_plugins.browse.shortcuts import aoi_detail, prepare

    today = date(2024, 3, 1)
    fwd = prepare(lake, "forward", "sydney")
    assert fwd["dag_id"] == "forward" and fwd["conf"] == {"aois": ["sydney"]}
    od = prepare(lake, "on_demand", "hawaii", "2024-01-01", "2024-02-01")
    assert od["conf"] == {"aoi": "hawaii", "start_date": "2024-01-01", "end_date": "2024-02-01"}
    default = prepare(lake, "on_demand", "hawaii", today=today)["conf"]
    assert (default["start_date"], default["end_date"]) == ("2024-01-13", "2024-03-01")  # 48 days up to today
    archived = next(p for p, t in browse_lake.TIER.items() if t == "archive")
    restore = prepare(lake, "restore", archived)
    assert restore["dag_id"] == "archive_restore" and restore["conf"] == {"product_ids": [archived]}
    rep = prepare(lake, "reprocess", "IFG_A_03")
    assert rep["dag_id"] == "reprocess" and rep["conf"] == {"product_ids": ["IFG_A_03"]}
    for shortcut in (fwd, od, restore, rep, *aoi_detail(lake, "sydney", today=today)["actions"]):
        _accepted(dags[shortcut["dag_id"]], shortcut["conf"])
    # the check is real: a key the DAG does not have is refused
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match="unknown trigger key"):
        _accepted(dags["forward"], {"aoi": "sydney"})


def test_aoi_page_counts_its_products_and_event(lake):
    from sarlake_plugins.browse.shortcuts import aoi_detail

    d = aoi_detail(lake, "sydney")
    mine = [p for p, a in browse_lake.AOI_OF.items() if a == "sydney"]
    assert sum(c["count"] for c in d["products"]) == len(mine)
    assert {(c["tier"], c["count"]) for c in d["products"]} == {("hot", 2), ("archived", 1)}
    assert [e["event_id"] for e in d["events"]] == [browse_lake.EVENT[0]]
    assert [a["action"] for a in d["actions"]] == ["forward", "on_demand"]


BAD = [
    ("restore", "IFG_A_02", {}, "ShortcutError", "is hot, not archived"),
    ("restore", "IFG_B_01", {}, "ShortcutError", "restored \\(already in the hot lake\\)"),
    ("reprocess", "IFG_X_99", {}, "ProductNotFound", "not in the lake"),
    ("forward", "atlantis", {}, "AoiNotFound", "'atlantis' is not in the lake"),
    ("forward", "x' OR 1=1", {}, "ShortcutError", "is not an AOI name"),
    ("on_demand", "sydney", {"start_date": "2024-02-30"}, "ShortcutError", "is not a date"),
    ("on_demand", "sydney", {"start_date": "2024-03-01", "end_date": "2024-01-01"}, "ShortcutError",
     "window is empty"),
    ("delete", "sydney", {}, "ShortcutError", "unknown action"),
]


def test_bad_shortcuts_are_refused_with_a_message(lake):
    from sarlake_plugins.browse import products, shortcuts

    for action, target, kw, error, message in BAD:
        exc = getattr(shortcuts, error, None) or getattr(products, error)
        with pytest.raises(exc, match=message):
            shortcuts.prepare(lake, action, target, **kw)


def test_mapped_pge_tasks_are_labelled_with_their_pair_after_serialization(dags):
    """Every mapped PGE task of every mapping DAG keeps its map_index_template through serialization."""
    import jinja2
    from airflow.serialization.serialized_objects import DagSerialization

    from sarlake_plugins.pge import pge_label

    ifg = {"inputs": ["/a/SIM_S1_IW_SLC_A044_F1a2b_20240208T050000.met.json",
                      "/a/SIM_S1_IW_SLC_A044_F1a2b_20240127T050000.met.json"]}
    qa = {"inputs": ["/p/S1_IFG_A044_20240127T050000_20240208T050000/S1_IFG_A044_20240127_20240208.met.json"]}
    series = {"inputs": [*qa["inputs"],
                         "/p/S1_IFG_A044_20240208T050000_20240220T050000/S1_IFG_A044_20240208_20240220.met.json"],
              "parameters": {"aoi": "vesuvius"}}
    # the reprocess DAG's unwrap: another processor's wrapped file (a MintPy stack holds many pairs) and its pair
    unwrap = {"inputs": ["s3://b/mintpy/inputs/ifgramStack.h5"],
              "parameters": {"aoi": "sydney", "pairs": ["20061002_20060619"]}}
    inputs = {"qa": qa, "timeseries": series, "unwrap": unwrap}
    # qa: a batch of products; timeseries: an AOI's interferograms, over the span of their dates; the others: a pair
    expected = {"qa": "1 product A044 20240127_20240208", "timeseries": "vesuvius 2 products A044 20240127..20240220",
                "unwrap": "sydney ifgramStack.h5 20061002_20060619"}
    for dag_id in MAPPING_DAGS:
        sdag = DagSerialization.from_dict(json.loads(json.dumps(DagSerialization.to_dict(dags[dag_id]))))
        mapped = [t for t in sdag.task_dict.values() if type(t).__name__ == "SerializedMappedOperator"]
        pge_tasks = [t for t in mapped if t.partial_kwargs.get("pge")]
        assert pge_tasks, f"{dag_id} maps no PGE task"
        for t in pge_tasks:
            template = t.partial_kwargs.get("map_index_template")
            assert template, f"{dag_id}.{t.task_id} has no map_index_template"
            pge = t.partial_kwargs["pge"]
            label = jinja2.Template(template).render(pge_label=pge_label(pge, inputs.get(pge, ifg)))
            assert label == expected.get(pge, "A044 20240127_20240208"), (dag_id, t.task_id, label)


def test_the_product_page_offers_only_the_shortcuts_the_server_accepts(lake, settings):
    """"Request reprocessing" showed on time series (L3) pages, and the server refused it: reprocessing re-unwraps
    interferograms only. The product page now carries the server's answer for each shortcut."""
    from lake.query import connect
    from lake.write import upsert
    from sarlake_plugins.browse.shortcuts import ShortcutError, prepare, product_actions

    series = browse_lake.add_time_series(settings)
    upsert("product_lineage", [{"product_id": p, "original_id": "IFG_B_03", "is_default": p == "IFG_B_02"}
                               for p in ("IFG_B_03", "IFG_B_02", "IFG_B_02b")], settings)  # made again twice
    # an interferogram catalogued from another processor's files: no SLCs to re-make it from (the DAG refused it)
    upsert("products", [{"product_id": "EXT-ROIPAC-geo_060619-061002-20061002_20060619", "product_type": "L2_IFG",
                         "aoi": "sydney", "pge_name": "ingest", "status": "published",
                         "start_time": "2006-06-19T00:00:00Z"}], settings)
    # one unwrapped here from another processor's wrapped file: the unwrap PGE makes it again from that file
    unwrapped = "EXT-ROIPAC-geo_060828-061211-20061211_20060828-UNW-1a2b"
    upsert("products", [{"product_id": unwrapped, "product_type": "L2_IFG", "aoi": "sydney", "pge_name": "unwrap",
                         "status": "published", "start_time": "2006-08-28T00:00:00Z"}], settings)
    upsert("provenance", [{"product_id": unwrapped, "run_id": "manual__unwrap", "pge_name": "unwrap",
                           "inputs": ["/w/geo_060828-061211.int"], "parameters": "{}"}], settings)
    con = connect(settings)
    archived = next(p for p, t in browse_lake.TIER.items() if t == "archive")

    def offered(pid):
        return {a["action"]: a["available"] for a in product_actions(con, pid)}

    assert offered(series) == {"reprocess": False, "restore": False}
    assert offered("IFG_B_02") == {"reprocess": False, "restore": False}  # made again as often as allowed
    why = next(a["reason"] for a in product_actions(con, "IFG_B_02") if a["action"] == "reprocess")
    assert why == ("IFG_B_02 has been reprocessed 2 time(s) (as versions of IFG_B_03), as often as "
                   "SARLAKE_QA_REPROCESS_ATTEMPTS allows; see product_lineage")
    assert offered("IFG_A_03") == {"reprocess": True, "restore": False}  # a hot interferogram
    assert offered(archived) == {"reprocess": True, "restore": True}
    ingested = "EXT-ROIPAC-geo_060619-061002-20061002_20060619"
    assert offered(ingested) == {"reprocess": False, "restore": False}
    why = next(a["reason"] for a in product_actions(con, ingested) if a["action"] == "reprocess")
    assert why.startswith(f"{ingested} was catalogued by the ingest PGE from another processor's unwrapped files, "
                          "so it cannot be reprocessed here")
    assert offered(unwrapped) == {"reprocess": True, "restore": False}
    for pid in (series, "IFG_B_02", "IFG_A_03", ingested, unwrapped):  # each refusal: the one the shortcut gives
        for a in product_actions(con, pid):
            if not a["available"]:
                with pytest.raises(ShortcutError) as refused:
                    prepare(con, a["action"], pid)
                assert a["reason"] == str(refused.value)
