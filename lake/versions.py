"""Data versions: snapshots that something outside the lake names, tagged so that maintenance keeps them.

A QA model's MLflow run records the snapshot id of ``qa_training_set`` it was trained on (its data version),
so that an ML engineer can read that data again, as it was, months later. Maintenance expires snapshots older
than a week (:mod:`lake.maintenance`); an Iceberg *tag* on the snapshot protects it (Iceberg never expires a
tagged snapshot, and :func:`lake.maintenance.maintain` leaves them out), and with it the files it references.
The tag also names the version for any Iceberg reader (``<dataset>-<snapshot id>``).
"""

from __future__ import annotations

import logging
import time

from lake.exceptions import LakeError
from lake.settings import Settings, get_settings

__all__ = ["tag_version", "tagged_versions"]

logger = logging.getLogger(__name__)


def tag_version(table_name: str, snapshot_id: int, tag: str, settings: Settings | None = None) -> None:
    """Tag ``snapshot_id`` of ``table_name`` as ``tag``; retried like an upsert when another writer commits first.

    Tagging the same snapshot again does nothing.

    Raises:
        LakeError: the table has no such snapshot, or ``tag`` already names another snapshot.
    """
    from pyiceberg.exceptions import CommitFailedException

    from lake.catalog import load_table
    from lake.write import backoff_seconds

    settings = settings or get_settings()
    for attempt in range(settings.commit_retries + 1):
        table = load_table(table_name, settings)
        if table.snapshot_by_id(snapshot_id) is None:
            raise LakeError(f"table {table_name} has no snapshot {snapshot_id} to tag as {tag}")
        ref = table.refs().get(tag)
        if ref is not None:
            if ref.snapshot_id == snapshot_id:
                return
            raise LakeError(f"tag {tag} of table {table_name} already names snapshot {ref.snapshot_id}, "
                            f"not {snapshot_id}")
        try:
            table.manage_snapshots().create_tag(snapshot_id, tag).commit()
        except CommitFailedException:
            if attempt == settings.commit_retries:
                raise
            time.sleep(backoff_seconds(attempt, settings))
            continue
        logger.info("tagged snapshot %d of %s as %s", snapshot_id, table_name, tag)
        return


def tagged_versions(table_name: str, settings: Settings | None = None) -> dict[str, int]:
    """The table's tags and the snapshot each names."""
    from pyiceberg.table.refs import SnapshotRefType

    from lake.catalog import load_table

    refs = load_table(table_name, settings).refs()
    return {name: ref.snapshot_id for name, ref in refs.items() if ref.snapshot_ref_type == SnapshotRefType.TAG}
