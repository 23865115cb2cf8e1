"""lake.verify: catalogue vs storage; lake.journal: a killed cataloguer never leaves a product without provenance."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest


@pytest.fixture
def lake(settings):
    from lake.catalog import init_lake

    init_lake(settings)
    return settings


def publish(settings, pid: str, run_id: str = "run-1", start: str = "2024-01-03T05:00:00Z",
            root: str | None = None) -> str:
    """A product folder as a PGE publishes it: one asset file and a met.json with its sha256 (local or s3://)."""
    from lake.storage import join, write_bytes

    folder = join(root or settings.products_root, "etna", pid)
    payload = f"phase of {pid}".encode()
    write_bytes(join(folder, "unw.tif"), payload, settings)
    doc = {
        "type": "Feature", "stac_version": "1.0.0", "id": pid,
        "geometry": {"type": "Polygon", "coordinates": [[[14.3, 40.7], [14.6, 40.7], [14.6, 40.9], [14.3, 40.7]]]},
        "bbox": [14.3, 40.7, 14.6, 40.9],
        "properties": {"start_datetime": start, "end_datetime": start, "sarlake:product_type": "L2_IFG",
                       "sat:relative_orbit": 44},
        "assets": {"unwrapped_phase": {"href": "unw.tif", "type": "image/tiff", "roles": ["data"],
                                       "sarlake:sha256": hashlib.sha256(payload).hexdigest()}},
        "provenance": {"pge_name": "interferogram", "pge_version": "0.1.0", "run_id": run_id,
                       "started_at": start},
    }
    met = join(folder, f"{pid}.met.json")
    write_bytes(met, json.dumps(doc).encode(), settings)
    return met


def test_a_catalogued_lake_is_consistent(lake) -> None:
    from lake.catalogue import catalogue_products
    from lake.verify import verify

    catalogue_products([publish(lake, f"P{i}") for i in range(3)], None, lake)
    report = verify(lake)
    assert report.consistent, report.findings
    assert report.checked["hot_products"] == 3 and report.checked["asset_files"] == 3


def test_a_hot_product_catalogued_from_outside_the_products_root_is_checked_too(lake) -> None:
    """`sarlake ingest --output-dir` and `sarlake pge run --catalogue` catalogue products wherever their folder is;
    verify looked only under the products root, so such a product's folder deleted read "consistent"."""
    from lake.catalogue import catalogue_products
    from lake.storage import delete
    from lake.verify import verify

    elsewhere = lake.products_root.rstrip("/") + "-elsewhere"
    uris = [publish(lake, f"OUT{i}", root=elsewhere) for i in range(2)]
    catalogue_products(uris, None, lake)
    assert verify(lake).consistent
    delete(uris[0].rsplit("/", 1)[0] + "/unw.tif", lake)
    delete(uris[1], lake)
    report = verify(lake)
    assert {(f.kind, f.product_id, f.path) for f in report.findings} == {
        ("missing_file", "OUT0", uris[0].rsplit("/", 1)[0] + "/unw.tif"), ("missing_file", "OUT1", uris[1])}
    assert report.checked["hot_products"] == 2


def test_verify_finds_each_kind_and_repair_fixes_what_it_can(lake) -> None:
    from lake.catalogue import catalogue_products
    from lake.verify import repair, verify
    from lake.write import upsert

    uris = [publish(lake, f"P{i}") for i in range(4)]
    catalogue_products(uris[:3], None, lake)
    from lake.storage import delete, write_bytes

    delete(uris[0].rsplit("/", 1)[0] + "/unw.tif", lake)  # missing asset
    write_bytes(uris[1].rsplit("/", 1)[0] + "/unw.tif", b"tampered", lake)  # checksum mismatch
    # uris[3] is published but never catalogued
    upsert("products", [{"product_id": "NOPROV", "product_type": "L2_IFG", "run_id": "r9",
                         "start_time": "2024-01-01T00:00:00Z"}], lake)
    found = {(f.kind, f.product_id) for f in verify(lake).findings}
    assert found == {("missing_file", "P0"), ("checksum_mismatch", "P1"), ("uncatalogued_product", "P3"),
                     ("missing_provenance", "NOPROV")}
    result = repair(lake)
    assert result.catalogued == ["P3"]
    assert {(f.kind, f.product_id) for f in result.after.findings} == found - {("uncatalogued_product", "P3")}
    assert json.loads(json.dumps(result.after.to_dict()))["consistent"] is False


def test_a_pending_record_is_completed_without_reverting_later_writes(lake) -> None:
    from lake import journal
    from lake.catalog import load_table
    from lake.catalogue import product_rows
    from lake.storage import read_json
    from lake.verify import repair, verify

    docs = {pid: read_json(publish(lake, pid), lake) for pid in ("A", "B")}
    rows = {pid: product_rows(f"/x/{pid}.met.json", doc) for pid, doc in docs.items()}
    # a cataloguer wrote its record and the provenance of A and B, then died
    record = journal.begin({"provenance": [rows["A"][1], rows["B"][1]], "products": [rows["A"][0], rows["B"][0]]},
                           lake)
    from lake.write import upsert

    upsert("provenance", [rows["A"][1], rows["B"][1]], lake)
    # a later cataloguing of B (another coherence) finished
    upsert("products", [{**rows["B"][0], "coherence_mean": 0.42}], lake)
    assert {f.kind for f in verify(lake, checksums=False).findings} >= {"pending_journal"}
    repair(lake, catalogue_uncatalogued=False)
    products = {r["product_id"]: r for r in load_table("products", lake).scan().to_arrow().to_pylist()}
    assert sorted(products) == ["A", "B"]
    assert products["B"]["coherence_mean"] == 0.42  # not reverted by the older record
    assert journal.pending(lake) == [] and record.uri not in [r.uri for r in journal.pending(lake)]


CATALOGUER = """
import json, sys
import lake.catalogue as cat
from lake.catalogue import catalogue_products

def say(msg):
    sys.stdout.write(msg + "\\n"); sys.stdout.flush()

upsert, begin = cat.upsert, cat.journal.begin
def traced_upsert(table, rows, settings=None):
    say(f"before {table}")
    result = upsert(table, rows, settings)
    say(f"after {table}")
    return result
def traced_begin(rows, settings):
    record = begin(rows, settings)
    say("journal")
    return record
cat.upsert, cat.journal.begin = traced_upsert, traced_begin
uris = json.loads(sys.argv[1])
for i in range(0, len(uris), 2):
    catalogue_products(uris[i:i + 2], {"task_id": "catalogue"})
    say("done")
"""

MARKERS = ("journal", "before provenance", "after provenance", "before products", "after products", "done")


def _provenance_gaps(settings) -> set[str]:
    from lake.catalog import load_table

    products = load_table("products", settings).scan(selected_fields=("product_id", "run_id")).to_arrow().to_pylist()
    prov = load_table("provenance", settings).scan(selected_fields=("product_id", "run_id")).to_arrow().to_pylist()
    runs = {(r["product_id"], r["run_id"]) for r in prov}
    return {p["product_id"] for p in products if (p["product_id"], p["run_id"]) not in runs}


@pytest.mark.parametrize("catalog_backend", ["sqlite"], indirect=True)  # minutes each: SQLite only
@pytest.mark.slow
def test_killing_the_cataloguer_never_leaves_a_product_without_provenance(lake) -> None:
    from lake import journal
    from lake.verify import repair

    rng = random.Random(14)
    kills, interrupted = 12, 0
    all_ids: list[str] = []
    for k in range(kills):
        ids = [f"K{k:02d}-{i}" for i in range(4)]
        all_ids += ids
        uris = [publish(lake, pid, run_id=f"run-{k}") for pid in ids]
        marker, batch = rng.choice(MARKERS[:-1]), rng.randrange(2)
        proc = subprocess.Popen([sys.executable, "-c", CATALOGUER, json.dumps(uris)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=os.environ.copy())
        seen = 0
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == marker:
                seen += 1
                if seen == batch + 1:
                    time.sleep(rng.uniform(0, 0.03))
                    proc.send_signal(signal.SIGKILL)
                    break
        proc.wait(timeout=120)
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
        # at every instant: no product without its provenance (provenance is committed first)
        assert _provenance_gaps(lake) == set(), f"kill {k} at {marker!r}"
        interrupted = len(journal.pending(lake))
    result = repair(lake)
    assert result.journal_completed == interrupted
    assert result.after.consistent, result.after.findings
    assert _provenance_gaps(lake) == set()
    from lake.catalog import load_table

    catalogued = load_table("products", lake).scan(selected_fields=("product_id",)).to_arrow().column(0).to_pylist()
    assert sorted(catalogued) == sorted(all_ids)  # repair catalogued what the kills left published only
    assert interrupted >= 3, "too few kills landed inside a cataloguing to test anything"


def test_journal_records_older_than_a_finished_run_of_the_same_products_are_dropped(lake) -> None:
    from lake import journal
    from lake.catalogue import catalogue_products

    uri = publish(lake, "P1")
    stale = journal.begin({"products": [{"product_id": "P1"}], "provenance": [{"product_id": "P1",
                                                                               "run_id": "run-1"}]}, lake)
    assert [r.uri for r in journal.pending(lake)] == [stale.uri]
    catalogue_products([uri], None, lake)
    assert journal.pending(lake) == []
    assert stale.created_at < datetime.now(UTC) + timedelta(seconds=1)


def test_a_hot_copy_of_an_archived_product_is_not_catalogued_again(lake) -> None:
    """A roll that stopped between cataloguing the archive location and expiring the hot copy: repair must not
    point the product back at the hot copy (the next roll expires it)."""
    from lake.catalog import load_table
    from lake.catalogue import catalogue_products
    from lake.verify import repair, verify
    from lake.write import update

    hot = publish(lake, "PA")
    catalogue_products([hot], None, lake)
    archived = "file:///daac/archive/PA/PA.met.json"
    update("products", [{"product_id": "PA", "met_uri": archived, "tier": "archive"}], lake)
    found = {(f.kind, f.product_id) for f in verify(lake).findings}
    assert ("stale_hot_copy", "PA") in found and ("uncatalogued_product", "PA") not in found
    assert repair(lake).catalogued == []
    row = load_table("products", lake).scan().to_arrow().to_pylist()[0]
    assert (row["met_uri"], row["tier"]) == (archived, "archive")


def test_a_product_removed_with_its_files_kept_is_neither_uncatalogued_nor_catalogued_again_by_repair(lake) -> None:
    """`sarlake products remove` keeps the files by default; verify then called them uncatalogued (exit 1) and
    repair put the removed product back in the catalogue, rewriting its provenance."""
    from lake.catalog import load_table
    from lake.catalogue import catalogue_products
    from lake.removal import remove_products
    from lake.verify import repair, verify

    catalogue_products([publish(lake, "PK"), publish(lake, "PR")], None, lake)
    remove_products(["PR"], reason="wrong wavelength", settings=lake)
    report = verify(lake)
    assert report.consistent, report.findings
    assert report.checked["removed_files_kept"] == 1 and report.checked["published_met_json"] == 2
    assert repair(lake).catalogued == []
    assert [r["product_id"] for r in load_table("products", lake).scan().to_arrow().to_pylist()] == ["PK"]


def test_the_records_of_qa_and_training_runs_are_neither_uncatalogued_nor_catalogued_by_repair(lake) -> None:
    """A qa batch's report, a labelled set and a training run are published beside the products but are not
    products: verify must not count them as missing from the catalogue, nor repair put them into it."""
    from lake.query import connect
    from lake.storage import read_bytes, write_bytes
    from lake.verify import repair, verify

    records = {"QA_SCORES": "qa-run-0000", "QA_TRAINING_SET": "qa-set-0-420", "QA_TRAINING_RUN": "training-1"}
    for kind, pid in records.items():
        met = publish(lake, pid)
        doc = json.loads(read_bytes(met, lake))
        doc["properties"]["sarlake:product_type"] = kind
        write_bytes(met, json.dumps(doc).encode(), lake)
    publish(lake, "P9")  # a product that was never catalogued

    report = verify(lake)
    assert {(f.kind, f.product_id) for f in report.findings} == {("uncatalogued_product", "P9")}
    assert report.checked["run_records"] == 3 and report.checked["published_met_json"] == 4
    assert repair(lake).catalogued == ["P9"]
    assert [r[0] for r in connect(lake).execute("SELECT product_id FROM products").fetchall()] == ["P9"]


def test_reports_in_the_qa_scores_folder_are_run_records_known_by_their_folder_without_being_read(lake,
                                                                                                 monkeypatch) -> None:
    """The qa DAG writes one report per batch under <products_root>/QA_SCORES/, and they accumulate: verify
    counts them by their folder and reads none of them (an L2 product's met.json is still read)."""
    import lake.verify as verify_module
    from lake.storage import join, write_bytes

    for n in range(3):
        write_bytes(join(lake.products_root, "QA_SCORES", f"qa-run-{n:04d}", f"qa-run-{n:04d}.met.json"),
                    b"{}", lake)
    publish(lake, "P9")
    read: list[str] = []
    real = verify_module._product_type
    monkeypatch.setattr(verify_module, "_product_type", lambda uri, s: read.append(uri) or real(uri, s))

    report = verify_module.verify(lake)
    assert report.checked["run_records"] == 3 and report.checked["published_met_json"] == 4
    assert {(f.kind, f.product_id) for f in report.findings} == {("uncatalogued_product", "P9")}
    assert [u.rsplit("/", 1)[-1] for u in read] == ["P9.met.json"]
