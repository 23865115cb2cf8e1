"""A product catalogued again while archived or cached (lake.placement), on every catalogue and storage backend.

Truth is what the test wrote: the delivery recorded by hand (as a finished roll leaves it), the files put at each
place, and the clock read around the call. ``tests/test_sarlake_archive.py`` does the same through a real roll.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

PID = "S1-GUNW-D-R-022-tops-20240101_20240113-000000-00100E_00100N-PP-abcd-v1_0"


def _write(settings, folder: str, payload: bytes) -> str:
    """A product folder with ``unw.tif`` and a met.json ``catalogue_products`` reads; returns the met.json URI."""
    from lake import storage

    doc = {"id": PID, "bbox": [1.0, 1.0, 1.1, 1.1], "geometry": {"type": "Point", "coordinates": [1.05, 1.05]},
           "properties": {"start_datetime": "2024-01-01T00:00:00Z", "end_datetime": "2024-01-13T00:00:00Z",
                          "sarlake:product_type": "L2_IFG", "sarlake:version": "1.0"},
           "assets": {"unw": {"href": "unw.tif", "sarlake:sha256": hashlib.sha256(payload).hexdigest()}},
           "provenance": {"pge_name": "interferogram", "pge_version": "1.0", "run_id": "forward-again",
                          "started_at": "2024-01-14T00:00:00Z"}}
    storage.write_bytes(storage.join(folder, "unw.tif"), payload, settings)
    met = storage.join(folder, f"{PID}.met.json")
    storage.write_bytes(met, json.dumps(doc).encode(), settings)
    return met


def _delivered(settings, hot: str, archive: str, payload: bytes) -> None:
    """The rows a finished delivery of version 1.0 with ``payload`` as ``unw.tif`` leaves in ``archive_transfers``."""
    from lake import storage
    from lake.archive_transfers import Transfer, record

    sums = {"unw.tif": hashlib.sha256(payload).hexdigest(), f"{PID}.met.json": "0" * 64}
    files = [{"name": n, "uri": storage.join(archive, n), "hot_uri": storage.join(hot, n), "size": 8,
              "sha256": digest} for n, digest in sums.items()]
    t = Transfer(f"{PID}.v1.0.a1", PID, "1.0", 1, "selected", hot_uri=hot, archive_uri=archive, files=files)
    record([t.row(step) for step in ("selected", "copied", "verified", "notified", "acknowledged", "catalogued",
                                     "hot_deleted")], settings)


def test_made_again_beside_a_cached_copy_it_becomes_the_cache_and_the_old_copy_goes(settings) -> None:
    import pytest

    from lake import storage
    from lake.catalog import init_lake, load_table
    from lake.catalogue import catalogue_products
    from lake.exceptions import ProductMetadataError
    from lake.write import update

    init_lake(settings)
    hot = storage.join(settings.products_root, "L2_IFG", "aoi", PID)  # where the PGE publishes
    cache = storage.join(settings.products_root, PID)  # where a restore puts its copy
    archive = storage.join(settings.daac.root, "L2_IFG", PID)
    catalogue_products([_write(settings, hot, b"made")], settings=settings)
    _delivered(settings, hot, archive, b"made")
    for name in ("unw.tif", f"{PID}.met.json"):
        storage.delete(storage.join(hot, name), settings)
    soon = datetime.now(UTC) + timedelta(days=1)
    cache_met = _write(settings, cache, b"made")
    update("products", [{"product_id": PID, "uri": cache, "met_uri": cache_met, "tier": "cached",
                         "cache_expires_at": soon}], settings)

    # other content at the same version is refused: nothing moves, nothing is deleted
    other = _write(settings, hot, b"other content")
    with pytest.raises(ProductMetadataError, match=r"version 1\.0 is archived with other content \(unw\.tif: not the "
                       r"bytes the DAAC acknowledged\): catalogued, this copy would hide the archived product"):
        catalogue_products([other], settings=settings)
    row = load_table("products", settings).scan().to_arrow().to_pylist()[0]
    assert (row["tier"], row["uri"], row["cache_expires_at"]) == ("cached", cache, soon)
    assert storage.read_bytes(storage.join(cache, "unw.tif"), settings) == b"made"
    assert storage.read_bytes(storage.join(hot, "unw.tif"), settings) == b"other content"

    before = datetime.now(UTC)
    met = _write(settings, hot, b"made")  # the forward DAG's reprocess, same version, same bytes
    assert catalogue_products([met], settings=settings) == [PID]
    row = load_table("products", settings).scan().to_arrow().to_pylist()[0]
    ttl = timedelta(days=settings.daac.cache_ttl_days)
    assert (row["tier"], row["uri"], row["met_uri"]) == ("cached", hot, met)
    assert before + ttl <= row["cache_expires_at"] <= datetime.now(UTC) + ttl  # later than the cache's own
    assert storage.list_uris(cache, settings=settings) == []
    assert storage.read_bytes(storage.join(hot, "unw.tif"), settings) == b"made"
    steps = load_table("archive_transfers", settings).scan().to_arrow().to_pylist()
    restored = [s for s in steps if s["step"] == "restored"]
    assert len(restored) == 1 and restored[0]["hot_uri"] == hot and cache in restored[0]["reason"]

    # overwritten in its own folder (`sarlake ingest --replace`): no copy any more, so the archive is read again
    overwritten = _write(settings, hot, b"replaced")
    with pytest.raises(ProductMetadataError, match=r"its cached copy there was overwritten, so the catalogue points "
                       r"at the archive again"):
        catalogue_products([overwritten], settings=settings)
    row = load_table("products", settings).scan().to_arrow().to_pylist()[0]
    assert (row["tier"], row["uri"], row["met_uri"]) == ("archive", archive, storage.join(archive, f"{PID}.met.json"))
    assert row["cache_expires_at"] is None
    assert storage.read_bytes(storage.join(hot, "unw.tif"), settings) == b"replaced"


def test_repair_makes_a_leftover_copy_of_the_delivered_bytes_the_cache_and_leaves_other_content(settings,
                                                                                                 monkeypatch) -> None:
    """A cataloguing that died between its commit and deleting the cached copy it replaced left two copies of the
    same bytes, one catalogued: `lake verify --repair` leaves one, catalogued. A refused copy with other content,
    and a hot product's second folder, stay as they are."""
    import pytest

    from lake import storage
    from lake.catalog import init_lake, load_table
    from lake.catalogue import catalogue_products
    from lake.placement import Placement
    from lake.verify import repair, verify
    from lake.write import update

    init_lake(settings)
    hot = storage.join(settings.products_root, "L2_IFG", "aoi", PID)
    cache = storage.join(settings.products_root, PID)
    archive = storage.join(settings.daac.root, "L2_IFG", PID)
    catalogue_products([_write(settings, hot, b"made")], settings=settings)
    _delivered(settings, hot, archive, b"made")
    for name in ("unw.tif", f"{PID}.met.json"):
        storage.delete(storage.join(hot, name), settings)
    cache_met = _write(settings, cache, b"made")
    update("products", [{"product_id": PID, "uri": cache, "met_uri": cache_met, "tier": "cached",
                         "cache_expires_at": datetime.now(UTC) + timedelta(days=1)}], settings)

    def dies(self, settings) -> None:  # the process killed right after the products commit
        raise KeyboardInterrupt

    monkeypatch.setattr(Placement, "finish", dies)
    with pytest.raises(KeyboardInterrupt):
        catalogue_products([_write(settings, hot, b"made")], settings=settings)
    monkeypatch.undo()
    stale = [f for f in verify(settings).findings if f.kind == "stale_hot_copy"]
    assert [(f.product_id, f.path) for f in stale] == [(PID, cache_met)]
    assert "cached at" in stale[0].detail

    result = repair(settings)
    assert result.cached == [PID]
    assert result.after.consistent, result.after.findings
    row = load_table("products", settings).scan().to_arrow().to_pylist()[0]
    assert row["tier"] == "cached"
    copies = [u for u in storage.list_uris(settings.products_root, ".met.json", settings) if PID in u]
    assert copies == [row["met_uri"]]
    assert storage.read_bytes(storage.join(row["uri"], "unw.tif"), settings) == b"made"

    # other content at the archived version: refused again by repair, left in place, still reported
    other = storage.join(settings.products_root, "L2_IFG", "elsewhere", PID)
    _write(settings, other, b"other content")
    result = repair(settings)
    assert result.cached == []
    assert [f.path for f in result.after.findings] == [storage.join(other, f"{PID}.met.json")]
    assert storage.read_bytes(storage.join(other, "unw.tif"), settings) == b"other content"
    assert load_table("products", settings).scan().to_arrow().to_pylist()[0]["uri"] == row["uri"]


def test_repair_leaves_a_second_folder_of_a_hot_product(settings) -> None:
    from lake import storage
    from lake.catalog import init_lake, load_table
    from lake.catalogue import catalogue_products
    from lake.verify import repair, verify

    init_lake(settings)
    first = _write(settings, storage.join(settings.products_root, "L2_IFG", "a", PID), b"first")
    catalogue_products([_write(settings, storage.join(settings.products_root, "L2_IFG", "b", PID), b"second")],
                       settings=settings)
    found = [f for f in verify(settings).findings if f.kind == "stale_hot_copy"]
    assert [f.path for f in found] == [first]
    assert "repair leaves the catalogue as it is" in found[0].detail
    result = repair(settings)
    assert (result.cached, result.catalogued) == ([], [])
    assert load_table("products", settings).scan().to_arrow().to_pylist()[0]["uri"].endswith("/b/" + PID)
