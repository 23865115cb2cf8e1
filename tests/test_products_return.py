"""A removed product whose files were kept comes back when a run finds it published: its history says so.

`sarlake products remove` (files kept) ends a product's provenance with ``sarlake-remove``. Only ingest recorded
a product's return when it found the kept folder and catalogued it again; `sarlake unwrap`, the forward, unwrap,
urgent, reprocess and time-series tasks catalogued it silently, so the catalogue held a product whose history
ended at its removal. Truth: real Sydney pairs (ROI_PAC's phase, wrapped) and the order of the records.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

from test_cli_ingest_options import UNW, _cli, _lake, _sql
from test_cli_unwrap_s3 import _wrap


def _history(pid: str) -> list[dict]:
    return _sql(f"SELECT run_id, pge_name, parameters FROM provenance WHERE product_id = '{pid}' ORDER BY finished_at")


def test_unwrapping_a_removed_product_again_records_its_return(settings, tmp_path) -> None:
    _lake()
    wrapped, _ = _wrap(UNW[0], tmp_path / "in")
    first = _cli("unwrap", str(wrapped), "--aoi", "sydney")
    assert first.exit_code == 0, first.output
    (row,) = _sql("SELECT product_id FROM products")
    pid = row["product_id"]
    assert _cli("products", "remove", pid, "--reason", "bad orbit").exit_code == 0
    again = _cli("unwrap", str(wrapped), "--aoi", "sydney")
    assert again.exit_code == 0, again.output
    assert [r["product_id"] for r in _sql("SELECT product_id FROM products")] == [pid]
    history = _history(pid)
    assert [h["pge_name"] for h in history] == ["unwrap", "sarlake-remove", "sarlake-return"]
    assert json.loads(history[2]["parameters"])["removed_by"] == history[1]["run_id"]
    third = _cli("unwrap", str(wrapped), "--aoi", "sydney")  # back already: kept, and no second return
    assert third.exit_code == 0, third.output
    assert [h["pge_name"] for h in _history(pid)] == ["unwrap", "sarlake-remove", "sarlake-return"]


def test_the_forward_dags_catalogue_task_records_the_return_of_a_product_its_pge_kept(settings, tmp_path) -> None:
    """The catalogue task of forward, bulk and on-demand, called as Airflow calls it, with the PGE's result."""
    from sarlake_plugins.forward import catalogue

    _lake()
    wrapped, _ = _wrap(UNW[0], tmp_path / "in")
    assert _cli("unwrap", str(wrapped), "--aoi", "sydney").exit_code == 0
    (row,) = _sql("SELECT product_id, met_uri FROM products")
    assert _cli("products", "remove", row["product_id"], "--reason", "bad orbit").exit_code == 0
    result = {"products": [{"id": row["product_id"], "met_uri": row["met_uri"], "skipped": True}]}
    context = {"run_id": "scheduled__2026-12-07T00:00:00+00:00", "ti": SimpleNamespace(dag_id="forward")}
    assert catalogue([result], context=context) == [row["product_id"]]
    history = _history(row["product_id"])
    assert [h["pge_name"] for h in history] == ["unwrap", "sarlake-remove", "sarlake-return"]
    assert history[2]["run_id"] == "scheduled__2026-12-07T00:00:00+00:00"
