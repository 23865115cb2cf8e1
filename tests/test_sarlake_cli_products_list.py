"""`sarlake products list` and `show`: the lake's products filtered, and one product whole, from a shell.

The lake is written row by row here, so which products each filter must keep is known by hand.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from click.testing import CliRunner

IFG = "L2_IFG"


def _cli(*args: str):
    from sarlake.cli import cli

    return CliRunner().invoke(cli, list(args))


def _lake(settings) -> None:
    from lake.catalog import init_lake
    from lake.consensus import refresh_consensus
    from lake.tags import Tag, add_tags
    from lake.write import upsert

    init_lake(settings)
    rows = [  # id, aoi, type, track, dates or sensing interval, status, tier, p_error
        ("A1", "etna", IFG, 44, ("2024-01-03", "2024-01-15"), "published", None, 0.10),
        ("A2", "etna", IFG, 44, ("2024-01-15", "2024-01-27"), "quarantined", "hot", 0.80),
        ("A2b", "etna", IFG, 44, ("2024-01-15", "2024-01-27"), "published", "hot", 0.20),  # A2 reprocessed
        ("A3", "etna", IFG, 117, ("2024-02-08", "2024-02-20"), "pending", "archive", None),
        ("B1", "o'hare", IFG, 44, ("2023-12-01", "2023-12-13"), "published", "cached", 0.55),
        ("TS", "etna", "L3_TS", 44, ("2024-01-03T00:00:00Z", "2024-01-27T00:00:00Z"), "published", "hot", None),
    ]
    products = []
    for pid, aoi, kind, track, (first, last), status, tier, p_error in rows:
        row = {"product_id": pid, "aoi": aoi, "product_type": kind, "track": track, "status": status, "tier": tier,
               "p_error": p_error,
               "uri": f"/lake/{pid}", "pge_name": "interferogram", "pge_version": "0.1.0",
               "assets": json.dumps({"unwrapped_phase": {"href": "unwrapped_phase.tif"}})}
        if kind == IFG:
            row |= {"secondary_date": first, "reference_date": last, "start_time": f"{first}T05:00:00Z"}
        else:
            row |= {"start_time": first, "end_time": last}
        products.append(row)
    products[1]["quality_failures"] = json.dumps(["unwrapped_phase: 40 % NaN (at most 30 %)"])
    upsert("products", products, settings)
    when = datetime(2024, 3, 1, tzinfo=UTC)
    upsert("qa_predictions", [{"product_id": pid, "model_name": "sarlake-qa-uwe", "model_version": "3",
                               "p_error": p, "uwe_class": 2 if p > 0.5 else 0, "degraded": False,
                               "predicted_at": when} for pid, *_, p in rows if p is not None], settings)
    upsert("product_lineage", [{"product_id": "A2", "original_id": "A2", "is_default": False, "p_error": 0.8},
                               {"product_id": "A2b", "original_id": "A2", "is_default": True, "p_error": 0.2}],
           settings)
    add_tags([Tag.of("A2", "UWE_2", "ann"), Tag.of("A2", "UWE_2", "bob"), Tag.of("A2", "TNT_1", "ann")], settings)
    refresh_consensus(settings)


def _ids(*args: str) -> list[str]:
    out = _cli("products", "list", "--format", "csv", *args)
    assert out.exit_code == 0, out.output
    return [r["product_id"] for r in csv.DictReader(io.StringIO(out.output))]


def test_each_filter_keeps_the_products_it_names(settings):
    _lake(settings)
    assert _ids() == ["A1", "TS", "A2", "A2b", "A3", "B1"]  # by AOI, then first and last date
    assert _ids("--aoi", "etna", "--type", IFG) == ["A1", "A2", "A2b", "A3"]
    assert _ids("--aoi", "o'hare") == ["B1"]  # a quote in a value is a value, not SQL
    assert _ids("--status", "quarantined") == ["A2"]
    assert _ids("--tier", "hot") == ["A1", "TS", "A2", "A2b"]  # A1's tier is null: written before tiers
    assert _ids("--tier", "cached") == ["B1"]
    assert _ids("--track", "117") == ["A3"]
    assert _ids("--since", "2024-01-15") == ["A2", "A2b", "A3"]  # the first acquisition on or after
    assert _ids("--until", "2024-01-27") == ["A1", "TS", "A2", "A2b", "B1"]  # the time series by its interval
    assert _ids("--since", "2024-01-03", "--until", "2024-01-15") == ["A1"]
    assert _ids("--max-p-error", "0.5") == ["A1", "A2b"]  # unscored products are not under any threshold
    assert _ids("--min-p-error", "0.5") == ["A2", "B1"]
    assert _ids("--aoi", "etna", "--default-only", "--type", IFG) == ["A1", "A2b", "A3"]
    assert _ids("--aoi", "nowhere") == []


def test_the_listing_s_columns_and_its_sql_run_as_they_read(settings, tmp_path):
    _lake(settings)
    rows = {r["product_id"]: r for r in json.loads(_cli("products", "list", "--format", "json").output)}
    assert rows["TS"]["first_date"] == "2024-01-03" and rows["TS"]["last_date"] == "2024-01-27"
    assert (rows["A2"]["status"], rows["A2"]["p_error"], rows["A2"]["predicted_uwe"]) == ("quarantined", 0.8, 2)
    assert (rows["A2"]["uwe_consensus"], rows["A2"]["is_default"], rows["A2b"]["is_default"]) == (2, False, True)
    assert rows["A1"]["tier"] == "hot" and rows["A3"]["tier"] == "archive"
    sql = _cli("products", "list", "--aoi", "o'hare", "--show-sql").output
    pasted = _cli("sql", sql, "--format", "json")
    assert pasted.exit_code == 0, pasted.output
    assert [r["product_id"] for r in json.loads(pasted.output)] == ["B1"]
    out = _cli("products", "list", "--type", IFG, "-o", str(tmp_path / "ifgs.csv"))
    assert out.exit_code == 0 and "wrote 5 rows" in out.output
    assert len((tmp_path / "ifgs.csv").read_text().splitlines()) == 6
    late = _cli("products", "list", "--since", "2024-02-01", "--until", "2024-01-01")
    assert late.exit_code == 2 and "2024-02-01 is after --until 2024-01-01" in late.output
    assert _cli("products", "list", "--max-p-error", "nan").exit_code == 2


def test_show_tells_what_where_how_good_and_which_versions(settings):
    _lake(settings)
    out = _cli("products", "show", "A2")
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == "A2  L2_IFG  etna"
    assert "  acquisitions  2024-01-15 to 2024-01-27" in lines
    assert "  status        quarantined" in lines
    assert "  failed        unwrapped_phase: 40 % NaN (at most 30 %)" in lines
    assert "  QA p(error)   0.800 (UWE_2, sarlake-qa-uwe v3)" in lines
    assert "  tag consensus TNT_1 (1 rater(s), agreement 1.00)" in lines
    assert "  tag consensus UWE_2 (2 rater(s), agreement 1.00)" in lines
    assert "  version       A2b  0.1.0  p(error) 0.200  (default)" in lines
    assert "  version       A2  0.1.0  p(error) 0.800" in lines
    assert "    unwrapped_phase  unwrapped_phase.tif" in lines
    ts = _cli("products", "show", "TS").output.splitlines()
    assert "  acquisitions  2024-01-03 to 2024-01-27" in ts and not [x for x in ts if "QA p(error)" in x]
    assert "  QA p(error)   not scored" in _cli("products", "show", "A3").output.splitlines()
    whole = json.loads(_cli("products", "show", "A1", "--json").output)
    assert (whole["product"]["product_id"], whole["first_date"], whole["versions"]) == ("A1", "2024-01-03", [])
    missing = _cli("products", "show", "NOPE")
    assert missing.exit_code == 2
    assert "product 'NOPE' is not in the lake (`sarlake products list` lists them)" in missing.output
