"""Expiry of the QA scoring reports that accumulate beside the products.

Each ``qa`` PGE task writes one ``QA_SCORES`` report, ``<products_root>/QA_SCORES/<report id>/`` (a met.json and
``qa.jsonl``: a line per product, its score or why it could not be read); the ``qa`` DAG's ``record`` task
copies the scores into ``qa_predictions``. A report is then a record of one batch and nothing reads it again,
so a lake that scores every few minutes gathers thousands of folders. Once older than the retention, a report
goes: its scores are in the tables, and a report that never got recorded (its run failed before ``record``)
left its products unscored by that version, so the next ``qa`` run scores them again. Training sets and runs
(``QA_TRAINING_SET``, ``QA_TRAINING_RUN``) are data versions and stay.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lake.archive_files import remove_empty_dirs
from lake.settings import Settings, get_settings, is_remote
from lake.storage import delete_many, join, list_entries, local_path

__all__ = ["SCORE_REPORTS", "ExpiredReports", "expire_score_reports"]

logger = logging.getLogger(__name__)

#: the folder under ``products_root`` that holds the ``qa`` PGE's reports
SCORE_REPORTS = "QA_SCORES"


@dataclass(frozen=True)
class ExpiredReports:
    """What an expiry did.

    Attributes:
        removed: report folders deleted (their newest file was older than the retention).
        kept: report folders kept.
        deleted_files: files deleted with them.
    """

    removed: tuple[str, ...]
    kept: int
    deleted_files: int


def expire_score_reports(older_than: timedelta, settings: Settings | None = None,
                         now: datetime | None = None) -> ExpiredReports:
    """Delete every ``QA_SCORES`` report whose newest file is older than ``older_than``.

    Args:
        older_than: the retention; a report with any file newer than this is kept whole.
        settings: the lake (``products_root``, a folder or s3://).
        now: the time to count from (default: now, UTC).
    """
    settings = settings or get_settings()
    root = join(settings.products_root, SCORE_REPORTS)
    cutoff = (now or datetime.now(UTC)) - older_than
    folders: dict[str, list[tuple[str, datetime]]] = {}
    prefix = (root if is_remote(root) else str(local_path(root))).rstrip("/") + "/"
    for uri, modified in list_entries(root, settings=settings):
        relative = uri[len(prefix):] if uri.startswith(prefix) else ""
        if "/" in relative:  # a file straight under QA_SCORES/ is no report: left alone
            folders.setdefault(relative.split("/", 1)[0], []).append((uri, modified))
    removed, files = [], 0
    for name, entries in sorted(folders.items()):
        if max(m for _, m in entries) >= cutoff:
            continue
        delete_many([uri for uri, _ in entries], settings)
        files += len(entries)
        folder = join(root, name)
        if not is_remote(folder):
            remove_empty_dirs(local_path(folder))
        removed.append(folder)
    kept = len(folders) - len(removed)
    logger.info("QA_SCORES: %d reports older than %g days removed (%d files), %d kept", len(removed),
                older_than.total_seconds() / 86400, files, kept)
    return ExpiredReports(tuple(removed), kept, files)

