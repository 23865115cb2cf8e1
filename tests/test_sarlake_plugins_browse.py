"""Browse UI: filter validation, faceted search and product files against a small lake whose rows are the truth.

The JSON API behind Airflow's auth is exercised in-process (Airflow's own app, plugins loaded); the full story in
a real browser is ``test_sarlake_plugins_browse_e2e.py``.
"""

from __future__ import annotations

from collections import Counter

import browse_lake
import pytest

from sarlake_plugins.browse.filters import FilterError, parse_query


@pytest.fixture
def lake(settings):
    from lake.query import connect

    browse_lake.build(settings)
    return connect(settings)


@pytest.mark.parametrize(("params", "message"), [
    ([("ref_from", "2024-13-45")], "is not a date"),
    ([("aoi", "x' OR 1=1 --")], "looks like SQL"),
    ([("q", "IFG; DROP TABLE products")], "looks like SQL"),
    ([("region", "POINT(150 -33)")], "region is not a polygon"),
    ([("region", '{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}')], "LineString, not a Polygon"),
    ([("region", "POLYGON((0 0, 1 0, 1 1, 0 0, 0 5))")], "first equal to the last"),
    ([("tag", "UWE_7")], "unknown tag"),
    ([("p_error", "0.5-0.6")], "is not a bin"),
    ([("ref_from", "2024-05-01"), ("ref_to", "2024-01-01")], "range is empty"),
    ([("sort", "1; DROP")], "not sortable"),
    ([("colour", "red")], "unknown parameter"),
    ([("page", "-1")], "out of range"),
    ([("tier", "frozen")], "is not a storage tier"),
    ([("event", "us1' OR '1'='1")], "looks like SQL"),
])
def test_bad_filters_are_refused_with_a_message(params, message):
    with pytest.raises(FilterError, match=message):
        parse_query(params)


def test_facets_and_results_match_the_lake(lake):
    from sarlake_plugins.browse.search import search

    r = search(parse_query([]), lake)
    assert r["total"] == len(browse_lake.PREDICTED)
    uwe = {i["value"]: i["count"] for i in r["facets"]["predicted_uwe"]}
    assert uwe == {f"UWE_{k}": n for k, n in Counter(browse_lake.PREDICTED.values()).items()}
    assert {i["value"]: i["count"] for i in r["facets"]["aoi"]} == dict(Counter(browse_lake.AOI_OF.values()))
    # consensus: UWE_3 from two raters on one product; TNT_1 from one rater on another
    assert {i["value"]: i["count"] for i in r["facets"]["tag"]} == {"UWE_3": 1, "TNT_1": 1}

    r = search(parse_query([("predicted_uwe", "UWE_3"), ("sort", "product_id"), ("order", "asc")]), lake)
    assert [p["product_id"] for p in r["results"]] == sorted(p for p, c in browse_lake.PREDICTED.items() if c == 3)
    # a facet is counted under the other filters, not its own: every UWE class still shows its count
    assert sum(i["count"] for i in r["facets"]["predicted_uwe"]) == len(browse_lake.PREDICTED)
    # AOI counts are under the UWE_3 filter
    want = Counter(browse_lake.AOI_OF[p] for p, c in browse_lake.PREDICTED.items() if c == 3)
    assert {i["value"]: i["count"] for i in r["facets"]["aoi"]} == dict(want)


def test_shown_sql_runs_in_sarlake_sql_and_gives_the_same_page(lake, settings):
    from lake.query import run_sql
    from sarlake_plugins.browse.search import search

    r = search(parse_query([("aoi", "hawaii"), ("baseline", "12-23 d")]), lake)
    table = run_sql(r["sql"]["results"], settings)
    assert table.column("product_id").to_pylist() == [p["product_id"] for p in r["results"]]
    assert r["results"] and all(p["aoi"] == "hawaii" for p in r["results"])


def test_unknown_facet_value_and_region_lookup(lake):
    from sarlake_plugins.browse.mapdata import map_features
    from sarlake_plugins.browse.search import search

    with pytest.raises(FilterError, match="'sydny' is not a value any product has"):
        search(parse_query([("aoi", "sydny")]), lake)
    region = [("region", "POLYGON((150.5 -34, 151 -34, 151 -33.5, 150.5 -33.5, 150.5 -34))")]
    r = search(parse_query(region), lake)
    assert {p["aoi"] for p in r["results"]} == {"sydney"} and r["total"] == 3
    m = map_features(parse_query(region), lake)
    assert [f["properties"]["name"] for f in m["aois"]["features"]] == ["sydney"]
    assert len(m["products"]["features"]) == 3


def test_files_are_served_only_from_inside_the_products_root(lake, settings, tmp_path):
    from pathlib import Path

    from lake.write import update
    from sarlake_plugins.browse.products import (
        ProductNotFound,
        asset_bytes,
        asset_location,
        layer_png,
        product_detail,
    )

    browse = Path(settings.products_root) / "IFG_A_01" / "browse.png"
    assert asset_location(lake, "IFG_A_01", "browse") == str(browse.resolve())
    assert asset_bytes(lake, "IFG_A_01", "browse") == browse.read_bytes()
    png = layer_png(lake, "IFG_A_01", "coherence")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    d = product_detail(lake, "IFG_A_03")
    assert {t["user"] for t in d["tags"]} == {"ann", "bob"} and d["met"]["id"] == "IFG_A_03"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "browse.png").write_bytes(b"not yours")
    update("products", [{"product_id": "IFG_A_01", "uri": str(outside)}], settings)
    from lake.query import connect

    with pytest.raises(ProductNotFound, match="outside the products root"):
        asset_bytes(connect(settings), "IFG_A_01", "browse")
    update("products", [{"product_id": "IFG_A_01", "uri": str(settings.products_root),
                         "assets": '{"browse": {"href": "../../etc/passwd"}}'}], settings)
    with pytest.raises(ProductNotFound, match="outside the products root"):
        asset_bytes(connect(settings), "IFG_A_01", "browse")
    update("products", [{"product_id": "IFG_A_01", "uri": "s3://elsewhere/IFG_A_01"}], settings)
    with pytest.raises(ProductNotFound, match="outside the products root"):  # a local root serves no S3 object
        asset_bytes(connect(settings), "IFG_A_01", "browse")


def test_a_lake_on_s3_serves_its_products_files_from_their_objects(tmp_path, monkeypatch, s3_server):
    """Products under an s3:// products root (moto): browse image, rendered layers and met.json come from S3.

    Truth: the bytes uploaded, the layer's own values (a constant layer renders as one colour), and the
    confinement to the products root's bucket and prefix.
    """
    import io
    import os

    import numpy as np
    from conftest import s3_lake_env
    from PIL import Image

    from lake.query import connect
    from lake.settings import get_settings
    from lake.storage import s3_client, split_s3
    from lake.write import update
    from sarlake_plugins.browse.products import ProductNotFound, asset_bytes, layer_png, product_detail

    for key in [k for k in os.environ if k.startswith("SARLAKE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "home"))
    for key, value in s3_lake_env(s3_server, "browse-s3").items():
        monkeypatch.setenv(key, value)
    settings = get_settings()
    local = tmp_path / "made"
    browse_lake.build(settings.model_copy(update={"products_root": str(local)}))  # files on disk, rows on S3
    bucket, prefix = split_s3(settings.products_root)
    client = s3_client(settings)
    rows = []
    for folder in sorted(p for p in local.iterdir() if p.is_dir()):
        for f in folder.iterdir():
            client.put_object(Bucket=bucket, Key=f"{prefix}/{folder.name}/{f.name}", Body=f.read_bytes())
        uri = f"{settings.products_root}/{folder.name}"
        rows.append({"product_id": folder.name, "uri": uri, "met_uri": f"{uri}/{folder.name}.met.json"})
    update("products", rows, settings)
    con = connect(settings)
    assert asset_bytes(con, "IFG_A_02", "browse") == (local / "IFG_A_02" / "browse.png").read_bytes()
    assert product_detail(con, "IFG_A_03")["met"]["id"] == "IFG_A_03"
    png = np.asarray(Image.open(io.BytesIO(layer_png(con, "IFG_A_02", "connected_components"))))
    assert png.shape[:2] == (64, 64) and len({tuple(c) for c in png[:, :32].reshape(-1, png.shape[2])}) == 1
    update("products", [{"product_id": "IFG_A_01", "uri": f"s3://{bucket}/elsewhere/IFG_A_01"},
                        {"product_id": "IFG_A_02", "assets": '{"browse": {"href": "../../../x/browse.png"}}'}],
           settings)
    for pid in ("IFG_A_01", "IFG_A_02"):
        with pytest.raises(ProductNotFound, match="outside the products root"):
            asset_bytes(connect(settings), pid, "browse")
    client.delete_object(Bucket=bucket, Key=f"{prefix}/IFG_A_03/browse.png")
    with pytest.raises(ProductNotFound, match="does not exist"):
        asset_bytes(connect(settings), "IFG_A_03", "browse")


def _counts(r, facet):
    return {i["value"]: i["count"] for i in r["facets"][facet]}


def test_every_facet_is_counted_against_the_lake(lake):
    from sarlake_plugins.browse.filters import FACETS
    from sarlake_plugins.browse.search import search

    r = search(parse_query([]), lake)
    for facet in ("aoi", "track", "direction", "product_type", "status", "pge_version", "predicted_uwe", "tier",
                  "event", "tag", "baseline", "coherence", "p_error", "reference_year"):
        assert facet in FACETS and sum(i["count"] for i in r["facets"][facet]) >= 1, facet
    n = len(browse_lake.PREDICTED)
    named = {"archive": "archived", "cached": "restored"}
    want_tier = Counter(named.get(browse_lake.TIER.get(p), "hot") for p in browse_lake.PREDICTED)
    assert _counts(r, "tier") == dict(want_tier) == {"hot": 4, "archived": 1, "restored": 1}
    event, aoi = browse_lake.EVENT
    in_event = sum(1 for p in browse_lake.PREDICTED if browse_lake.AOI_OF[p] == aoi)
    assert _counts(r, "event") == {event: in_event, "(none)": n - in_event}
    assert _counts(r, "pge_version") == {"1.1.0": 2, "1.2.0": n - 2}
    assert _counts(r, "status") == {"published": n}
    # baseline 12 or 24 days (browse_lake: 12 * (1 + i % 2)); coherence 0.15 + 0.15 i (0.15 .. 0.90); p_error as written
    assert _counts(r, "baseline") == {"12-23 d": 3, "24-47 d": 3}
    assert _counts(r, "coherence") == {"0.0-0.2": 1, "0.2-0.4": 1, "0.4-0.6": 1, "0.6-0.8": 2, "0.8-1.0": 1}
    assert _counts(r, "p_error") == {"0.0-0.1": 2, "0.1-0.3": 1, "0.5-0.7": 1, "0.9-1.0": 2}

    # storage tier and event filter the results, and each is counted under the other filters only
    r = search(parse_query([("tier", "archived"), ("tier", "restored")]), lake)
    assert sorted(p["product_id"] for p in r["results"]) == sorted(browse_lake.TIER)
    assert _counts(r, "tier") == dict(want_tier)
    r = search(parse_query([("event", event)]), lake)
    assert {p["aoi"] for p in r["results"]} == {aoi} and r["total"] == in_event
    assert all(p["event"] == event for p in r["results"])
    assert _counts(r, "tier") == {"hot": 2, "archived": 1}
    with pytest.raises(FilterError, match="'us0000none' is not a value any product has"):
        search(parse_query([("event", "us0000none")]), lake)


def test_facet_refresh_reads_the_materialized_table_not_the_iceberg_files(lake):
    from sarlake_plugins.browse.search import _conditions, _facet_sql, materialize, plan_files

    info = materialize(lake)
    assert info["rows"] == len(browse_lake.PREDICTED)
    assert info["files"] and info["files"] >= 3  # products, qa_predictions, tag_consensus at least
    sql, params = _facet_sql(_conditions(parse_query([("predicted_uwe", "UWE_3")])))
    plan = lake.execute("EXPLAIN (ANALYZE, FORMAT json) " + sql, params).fetchall()[-1][-1]
    assert not plan_files(plan) and "ICEBERG" not in plan.upper()


def test_app_connection_is_reused_until_a_commit_then_shows_it(lake, settings):
    from lake.consensus import refresh_consensus
    from lake.tags import Tag, add_tags
    from lake.write import update
    from sarlake_plugins.browse import connection
    from sarlake_plugins.browse.search import search

    connection._state.update(con=None, key=None, opened=0, refreshed=0)
    q = parse_query([("predicted_uwe", "UWE_3")])
    before = _counts(search(q, connection.cursor()), "tag")
    for _ in range(3):
        search(q, connection.cursor())
    assert (connection.state()["opened"], connection.state()["refreshed"]) == (1, 0)  # no commit: nothing redone
    add_tags([Tag.of("IFG_B_03", "UWE_3", "carol")], settings)
    refresh_consensus(settings)
    after = _counts(search(q, connection.cursor()), "tag")
    # the tag tables re-attached on the same connection, only the tags column rebuilt
    assert (connection.state()["opened"], connection.state()["refreshed"]) == (1, 1)
    assert connection.state()["materialize"]["how"] == "tags"
    assert after["UWE_3"] == before["UWE_3"] + 1
    # a product moved to the archive: products re-attached, the whole table rebuilt
    update("products", [{"product_id": "IFG_B_03", "tier": "archive"}], settings)
    r = search(parse_query([("tier", "archived")]), connection.cursor())
    assert connection.state()["materialize"]["how"] == "full"
    assert sorted(p["product_id"] for p in r["results"]) == sorted(
        [p for p, t in browse_lake.TIER.items() if t == "archive"] + ["IFG_B_03"])


def test_a_product_rolled_to_the_archive_is_shown_from_its_archive_copy(lake, settings, tmp_path):
    """The archive roll (against the simulated DAAC) moves a product's files out of the products root; its page
    still shows them, read from the archive copy. Truth: the bytes the product had while hot."""
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from lake.archive_roll import run_roll
    from lake.query import connect
    from sarlake.workflows.daac_simulator import SimulatedDaac
    from sarlake_plugins.browse.products import asset_bytes, layer_png, product_detail

    hot = Path(settings.products_root) / "IFG_A_02"
    browse = (hot / "browse.png").read_bytes()
    later = datetime.now(UTC) + timedelta(days=40)  # past the 30-day hot retention
    run_roll(settings, now=later)
    SimulatedDaac(tmp_path / "daac-state", settings).serve_folder()
    run_roll(settings, now=later)
    con = connect(settings)
    (uri, tier), = con.execute("SELECT uri, tier FROM products WHERE product_id = 'IFG_A_02'").fetchall()
    assert tier == "archive" and uri.startswith(str(settings.daac.root)) and not hot.exists()
    assert asset_bytes(con, "IFG_A_02", "browse") == browse
    assert layer_png(con, "IFG_A_02", "coherence")[:8] == b"\x89PNG\r\n\x1a\n"
    assert product_detail(con, "IFG_A_02")["met"]["id"] == "IFG_A_02"
    (delivered,) = product_detail(con, "IFG_A_02")["deliveries"]  # the page says where the DAAC holds it
    assert {k: delivered[k] for k in ("transfer_id", "version", "step", "held", "archive_folder", "reason")} == {
        "transfer_id": "IFG_A_02.v1.a1", "version": "1", "step": "hot_deleted", "held": True,
        "archive_folder": str(Path(settings.daac.root) / "L2_IFG" / "IFG_A_02-v1"), "reason": None}
    assert product_detail(con, "IFG_A_01")["deliveries"] == []  # marked archived by the test lake, never rolled


def test_the_browse_connection_leaves_the_dbt_catalogue_free_for_dbt_to_rebuild(lake, settings):
    """The API server keeps the browse connection open for good; it attached the dbt catalogue read-only, and
    that attach's lock made every dbt run of the `catalog` DAG (another process) fail with "Could not set lock"."""
    import subprocess
    import sys
    from pathlib import Path

    import duckdb

    from sarlake_plugins.browse import connection
    from sarlake_plugins.browse.search import search

    Path(settings.catalogue_db).parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(settings.catalogue_db) as db:  # a catalogue as dbt leaves it
        db.execute("CREATE SCHEMA marts; CREATE TABLE marts.products AS SELECT 1 AS n")
    connection._state.update(con=None, key=None, opened=0, refreshed=0)
    assert search(parse_query([]), connection.cursor())["total"] == len(browse_lake.PREDICTED)
    rebuild = ("import duckdb, sys; db = duckdb.connect(sys.argv[1]); "
               "db.execute('CREATE OR REPLACE TABLE marts.products AS SELECT 2 AS n'); db.close()")
    done = subprocess.run([sys.executable, "-c", rebuild, str(settings.catalogue_db)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    connection._state.update(con=None, key=None)
    from lake.query import connect  # a short-lived connection still reads the marts

    assert connect(settings).execute("SELECT n FROM catalogue.marts.products").fetchall() == [(2,)]


def test_the_none_value_of_a_facet_and_a_stored_aoi_without_products_are_searches_not_errors(lake, settings):
    """The event facet lists "(none)" for the products of no event, and clicking it gave "has characters an event
    never has"; an AOI's "all products of this AOI" before its first product gave "not a value any product has"."""
    from lake.write import upsert
    from sarlake_plugins.browse.search import search

    r = search(parse_query([("event", "(none)")]), lake)
    assert sorted(p["product_id"] for p in r["results"]) == sorted(
        p for p, a in browse_lake.AOI_OF.items() if a != browse_lake.EVENT[1])
    upsert("aois", [{"name": "new_aoi", "geometry_wkt": "POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))", "active": True}],
           settings)
    from lake.query import connect

    assert search(parse_query([("aoi", "new_aoi")]), connect(settings))["total"] == 0
    with pytest.raises(FilterError, match="'new_aoj' is not a value any product has"):
        search(parse_query([("aoi", "new_aoj")]), connect(settings))


def test_the_tag_forms_comment_limit_is_the_one_tags_are_checked_against(monkeypatch):
    """browse.js hard-coded maxlength="2000" beside lake.tags.MAX_COMMENT_LENGTH: the page now carries the
    constant (the script reads it from there), so a changed limit reaches the form."""
    import re
    from types import SimpleNamespace

    import lake.tags
    from sarlake_plugins.browse.app import STATIC, page

    me = SimpleNamespace(get_name=lambda: "ann")
    assert f'data-max-comment-length="{lake.tags.MAX_COMMENT_LENGTH}"' in page(me).body.decode()
    monkeypatch.setattr(lake.tags, "MAX_COMMENT_LENGTH", 1234)
    assert 'data-max-comment-length="1234"' in page(me).body.decode()
    script = (STATIC / "browse.js").read_text()
    assert "document.body.dataset.maxCommentLength" in script and not re.search(r"maxlength=\"\d", script)


def test_a_time_series_card_and_page_show_its_track_and_date_span(lake, settings):
    """L3 cards read "T · →": a time series has no pair dates, and the card read only those. Its span is its
    first and last dates (the met.json's start and end), its track the one its interferograms share."""
    from lake.query import connect
    from sarlake_plugins.browse.products import product_detail
    from sarlake_plugins.browse.search import search

    pid, first, last = browse_lake.SERIES
    browse_lake.add_time_series(settings, orbit=(44, "ascending"))
    con = connect(settings)
    card = next(r for r in search(parse_query([("aoi", "sydney")]), con)["results"] if r["product_id"] == pid)
    shown = product_detail(con, pid)["product"]
    for p in (card, shown):
        assert (p["track"], p["direction"]) == (44, "A")
        assert (p["first_date"], p["last_date"]) == (first.isoformat(), last.isoformat())
    # an interferogram's span is its pair: secondary -> reference (the lake's rows)
    ifg = search(parse_query([("q", "IFG_A_02")]), con)["results"][0]
    (row,) = con.execute("SELECT secondary_date, reference_date FROM products WHERE product_id = 'IFG_A_02'").fetchall()
    assert (ifg["first_date"], ifg["last_date"]) == (row[0].isoformat(), row[1].isoformat())


def test_a_product_qa_does_not_score_is_counted_apart_from_the_unscored_interferograms(lake, settings):
    """The QA facets counted every time series and coherence stack as "unscored", as if each awaited a score; the
    qa DAG scores L2_IFG only (`sarlake products show` says nothing of QA for them)."""
    from lake.query import connect
    from sarlake_plugins.browse.filters import NOT_SCORED_TYPE
    from sarlake_plugins.browse.search import search

    before = search(parse_query([]), connect(settings))
    pid = browse_lake.add_time_series(settings)
    r = search(parse_query([]), connect(settings))
    for facet in ("predicted_uwe", "p_error"):
        assert _counts(r, facet) == {**_counts(before, facet), NOT_SCORED_TYPE: 1}, facet
    assert "unscored" not in _counts(r, "predicted_uwe")  # every interferogram of browse_lake has a prediction
    only = search(parse_query([("predicted_uwe", NOT_SCORED_TYPE)]), connect(settings))
    assert [p["product_id"] for p in only["results"]] == [pid]


def test_a_layer_image_carries_a_colour_bar_labelled_with_its_stretch_and_units(lake, settings):
    """The product page's layers were colours without a scale: a scientist could not read 5 mm from 50 mm. Each
    layer now has a colour bar below it, labelled with the 2nd and 98th percentiles and the band's units. Truth:
    numpy's percentiles of the GeoTIFF itself and the colormap's own end colours."""
    import io
    from pathlib import Path

    import numpy as np
    import rasterio
    from matplotlib import colormaps
    from PIL import Image

    from sarlake_plugins.browse.products import layer_png

    tif = Path(settings.products_root) / "IFG_A_01" / "unwrapped_phase.tif"
    with rasterio.open(tif, "r+") as dst:
        dst.update_tags(1, units="rad")  # as the PGEs write it
        values = dst.read(1).astype("float64")
    image = Image.open(io.BytesIO(layer_png(lake, "IFG_A_01", "unwrapped_phase")))
    lo, hi, units = image.info["sarlake:stretch"].split()
    assert (float(lo), float(hi)) == pytest.approx(tuple(np.percentile(values, [2, 98])), rel=1e-9)
    assert units == "rad"
    pixels = np.asarray(image.convert("RGBA"))
    assert pixels.shape[0] == 64 + 30  # the layer, then the bar and its labels
    ramp = pixels[64 + 6]  # a row of the bar: the colormap from end to end
    ends = (np.array(colormaps["twilight_shifted"]([0.0, 1.0])) * 255).astype("uint8")
    assert np.abs(ramp[0].astype(int) - ends[0]).max() <= 1 and np.abs(ramp[-1].astype(int) - ends[1]).max() <= 1
    # a dimensionless layer (units 1, or none) is labelled with its numbers alone
    coherence = Image.open(io.BytesIO(layer_png(lake, "IFG_A_01", "coherence")))
    assert len(coherence.info["sarlake:stretch"].split()) == 2


def test_the_npm_route_serves_the_files_of_the_packages_package_json_names_and_nothing_else():
    """Truth: ``vendor/package.json`` names leaflet and Font Awesome; d3-array is only vega's dependency."""
    from pathlib import Path

    from fastapi import HTTPException

    from sarlake_plugins.browse.app import VENDOR, npm_file

    modules = VENDOR / "node_modules"
    assert Path(npm_file("leaflet/dist/leaflet.js").path) == (modules / "leaflet/dist/leaflet.js").resolve()
    css = "@fortawesome/fontawesome-free/css/all.min.css"
    assert Path(npm_file(css).path) == (modules / css).resolve()
    assert (modules / "d3-array" / "package.json").is_file()  # installed, as vega needs it
    for name in ("d3-array/package.json", ".package-lock.json", "leaflet/../d3-array/package.json",
                 "leaflet/../../package.json", "@fortawesome/../jquery/package.json", "leaflet/dist/nothing.js"):
        with pytest.raises(HTTPException) as refused:
            npm_file(name)
        assert refused.value.status_code == 404
