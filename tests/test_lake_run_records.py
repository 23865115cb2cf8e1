"""QA_SCORES reports older than the retention are deleted whole; newer ones, products and training sets stay."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest


@pytest.mark.parametrize("catalog_backend", ["sqlite", "s3"], indirect=True)  # storage matters, not the catalogue
def test_score_reports_expire_whole_once_their_newest_file_is_older_than_the_retention(settings) -> None:
    from lake.run_records import expire_score_reports
    from lake.storage import join, list_uris, write_bytes

    root = settings.products_root

    def put(*parts: str) -> None:
        write_bytes(join(root, *parts), b"{}", settings)

    put("QA_SCORES", "qa-old-0000", "qa-old-0000.met.json")
    put("QA_SCORES", "qa-old-0000", "qa.jsonl")
    put("QA_SCORES", "qa-mixed-0000", "qa.jsonl")  # one old file, one new below: the report is kept whole
    put("QA_TRAINING_SET", "qa-set-0-420", "qa-set-0-420.met.json")  # a data version: never expires here
    put("L2_IFG", "ifg-1", "ifg-1.met.json")
    time.sleep(1.5)  # object stores keep whole seconds
    cutoff = datetime.now(UTC)
    time.sleep(1.5)
    put("QA_SCORES", "qa-mixed-0000", "qa-mixed-0000.met.json")
    put("QA_SCORES", "qa-new-0000", "qa.jsonl")
    before = set(list_uris(root, settings=settings))

    result = expire_score_reports(timedelta(days=30), settings, now=cutoff + timedelta(days=30))

    after = set(list_uris(root, settings=settings))
    gone = before - after
    assert len(gone) == 2 and all("/QA_SCORES/qa-old-0000/" in uri for uri in gone)
    assert result.deleted_files == 2 and result.kept == 2
    assert [r.rsplit("/", 1)[-1] for r in result.removed] == ["qa-old-0000"]
    assert any("/QA_TRAINING_SET/" in uri for uri in after) and any("/L2_IFG/" in uri for uri in after)
    if not root.startswith("s3://"):  # the emptied folder goes too
        from pathlib import Path

        assert not (Path(root) / "QA_SCORES" / "qa-old-0000").exists()
        assert (Path(root) / "QA_SCORES" / "qa-new-0000").is_dir()

    # with the retention counted from the real now, nothing is old enough
    assert expire_score_reports(timedelta(days=30), settings).removed == ()


def test_no_reports_folder_is_nothing_to_do(settings) -> None:
    from lake.run_records import expire_score_reports

    result = expire_score_reports(timedelta(0), settings)
    assert (result.removed, result.kept, result.deleted_files) == ((), 0, 0)


def test_the_log_line_reads_as_a_sentence(settings, caplog) -> None:
    """It read 'QA_SCORES: 0 reports older than 30 days, 0:00:00 removed' (a timedelta printed as is)."""
    import logging

    from lake.run_records import expire_score_reports

    with caplog.at_level(logging.INFO, logger="lake.run_records"):
        expire_score_reports(timedelta(days=30), settings)
        expire_score_reports(timedelta(hours=12), settings)
    assert [r.getMessage() for r in caplog.records] == [
        "QA_SCORES: 0 reports older than 30 days removed (0 files), 0 kept",
        "QA_SCORES: 0 reports older than 0.5 days removed (0 files), 0 kept"]
