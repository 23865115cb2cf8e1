"""The quality gate's Data Docs: kept in the lake on an S3 lake, and served by the plugin without any CDN.

Truth: what GX itself writes (its pages, the CDN URLs in them), products ingested here from the real Envisat
stack, and a coherence of 1.4 written into one of them, outside the products suite's [0, 1].
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"


def test_every_cdn_script_and_style_of_a_gx_page_is_served_by_the_plugin(settings) -> None:
    from sarlake.workflows.quality import run_suite
    from sarlake.workflows.quality_docs import read_page
    from sarlake_plugins.browse.datadocs import NODE_MODULES, SERVED, localize

    run_suite("qa_predictions", pd.DataFrame({"product_id": ["a", "b"], "p_error": [0.1, 1.2]}), settings)
    index, media = read_page("index.html", settings)
    assert media == "text/html"
    result = re.search(rb'validations/qa_predictions/[^"\'\\]+\.html', index)
    assert b"How to" not in index  # GX's how-to buttons (its CLI, its team sites) are not sarlake's way
    assert result is not None
    for raw in (index, read_page(result.group().decode(), settings)[0]):
        assert re.findall(rb'<script[^>]+src="https://', raw)  # what GX writes: scripts from CDNs
        page = localize(raw)
        assert re.findall(rb'<script[^>]+src="https?://', page) == []
        assert re.findall(rb'<link[^>]+href="https?://[^"]+\.css"', page) == []
        assert b"dataContextId" in raw
        assert b"dataContextId" not in page  # GX's logo beacon (its context's id and the time)
        assert b"great-expectations-web-assets" in raw
        assert b"great-expectations-web-assets" not in page  # no logo from GX's bucket, dark mode's either
        assert b"newsletter" in raw
        assert b"newsletter" not in page
        assert page.rstrip().endswith(b"</html>")
        served = re.findall(rb'"' + re.escape(SERVED.encode()) + rb'([^"]+)"', page)
        assert served
        missing = [name for name in served if not (NODE_MODULES / name.decode()).is_file()]
        assert missing == []


def test_a_page_outside_the_site_or_before_the_first_gate_is_refused_by_name(settings) -> None:
    from sarlake.workflows.quality import run_suite
    from sarlake.workflows.quality_docs import PageNotFound, read_page

    with pytest.raises(PageNotFound, match="sarlake products check"):
        read_page("index.html", settings)
    run_suite("qa_predictions", pd.DataFrame({"product_id": ["a"], "p_error": [0.1]}), settings)
    (settings.home / "secret.txt").write_text("not a page")
    for path in ("../../../secret.txt", "validations/../../../../secret.txt", "/etc/passwd", "static/../../x"):
        with pytest.raises(PageNotFound):
            read_page(path, settings)
    assert read_page("", settings)[0].startswith(b"<")  # the index


def test_validations_past_their_retention_go_with_their_pages_and_leave_the_index(settings) -> None:
    """Each gate run adds a validation result and a page per suite, and the index lists them all: nothing removed
    them. Truth: two runs named here, the retention's cutoff taken between them."""
    from datetime import UTC, datetime, timedelta

    from sarlake.workflows.quality import run_suite
    from sarlake.workflows.quality_docs import expire, read_page

    frame = pd.DataFrame({"product_id": ["a"], "p_error": [0.1]})
    run_suite("qa_predictions", frame, settings, run_name="old-run")
    between = datetime.now(UTC)
    run_suite("qa_predictions", frame, settings, run_name="new-run")
    site = settings.home / "gx" / "uncommitted" / "data_docs" / "local_site" / "validations" / "qa_predictions"
    assert {p.name for p in site.iterdir()} == {"old-run", "new-run"}

    gone = expire(settings, timedelta(0), now=between)
    assert (gone.removed, gone.kept) == (1, 1)
    results = settings.home / "gx" / "uncommitted" / "validations" / "qa_predictions"
    assert {p.relative_to(results).parts[0] for p in results.rglob("*.json")} == {"new-run"}
    assert {p.relative_to(site).parts[0] for p in site.rglob("*.html")} == {"new-run"}
    assert {p.name for p in site.iterdir()} == {"new-run"}  # no empty folder of the old run left behind
    assert {p.name for p in results.iterdir()} == {"new-run"}
    index = read_page("index.html", settings)[0].decode()
    assert "new-run" in index
    assert "old-run" not in index
    assert expire(settings, timedelta(days=90)).removed == 0


def test_a_lake_the_gate_never_ran_on_has_no_data_docs_to_expire(settings) -> None:
    from datetime import timedelta

    from sarlake.workflows.quality_docs import expire

    assert expire(settings, timedelta(0)).removed == 0
    assert not (settings.home / "gx").exists()  # no GX project made just to look


@pytest.mark.slow
def test_on_an_s3_lake_the_data_docs_outlive_the_pod_that_ran_the_gate(s3_server, tmp_path, monkeypatch) -> None:
    """Each gate run in a pod of its own (its own empty SARLAKE_HOME): the second run's index still lists the
    first run's validation, and the page of the second says which product failed what."""
    from conftest import s3_lake_env

    from lake.aoi import add_aoi
    from lake.catalog import init_lake
    from lake.settings import get_settings
    from lake.storage import list_uris
    from lake.write import update
    from sarlake.workflows.ingest import ingest_and_catalogue
    from sarlake.workflows.quality import gate_products
    from sarlake.workflows.quality_docs import PageNotFound, expire, read_page

    for key, value in s3_lake_env(s3_server, "quality-docs-s3").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SARLAKE_CATALOG_URI", f"sqlite:///{tmp_path / 'catalog.db'}")  # shared by both "pods"
    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "pod-1"))
    settings = get_settings()
    init_lake(settings)
    add_aoi("sydney", bbox=(150.8, -34.3, 151.0, -34.1), tracks=[44])
    files = sorted((DATA / "roipac_unw").glob("*.unw"))[:2]
    ids = ingest_and_catalogue([str(p) for p in files], aoi="sydney", mission="envisat").ids
    first = gate_products(ids, settings)
    between = datetime.now(UTC)
    assert sorted(first.published) == sorted(ids)
    assert first.data_docs == settings.warehouse + "/_quality/docs/index.html"

    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "pod-2"))
    settings = get_settings()
    update("products", [{"product_id": ids[0], "coherence_mean": 1.4}], settings)
    second = gate_products([ids[0]], settings)
    assert list(second.quarantined) == [ids[0]]
    for pod in ("pod-1", "pod-2"):
        assert not (tmp_path / pod / "gx").exists()  # nothing of the gate's kept on the pod's disk

    results = list_uris(settings.warehouse + "/_quality/validations/products", ".json", settings)
    assert len(results) == 2  # one validation of the products suite per gate run
    index = read_page("index.html", settings)[0].decode()
    pages = sorted(set(re.findall(r"validations/products/[^\"'\\]+\.html", index)))
    assert len(pages) == 2
    newest = read_page(pages[-1], settings)[0].decode()
    assert "coherence_mean" in newest
    assert ids[0] in newest

    # the retention, from a third pod: the first run's validations go, with their pages, from the lake
    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "pod-3"))
    settings = get_settings()
    gone = expire(settings, timedelta(0), now=between)
    assert (gone.removed, gone.kept) == (2, 2)  # each run validated the products suite and the rasters suite
    assert len(list_uris(settings.warehouse + "/_quality/validations/products", ".json", settings)) == 1
    assert len(list_uris(settings.warehouse + "/_quality/docs/validations/rasters", ".html", settings)) == 1
    index = read_page("index.html", settings)[0].decode()
    assert sorted(set(re.findall(r"validations/products/[^\"'\\]+\.html", index))) == pages[-1:]
    with pytest.raises(PageNotFound):
        read_page(pages[0], settings)
