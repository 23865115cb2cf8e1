"""Data versions: snapshots that something outside the lake names, tagged so that maintenance keeps them.

A QA model's MLflow run records the snapshot id of ``qa_training_set`` it was trained on (its data version),
so that an ML engineer can read that data again, as it was, months later. Maintenance expires snapshots older
than a week (:mod:`lake.maintenance`); an Iceberg *tag* on the snapshot protects it (Iceberg never expires a
tagged snapshot, and :func:`lake.maintenance.maintain` leaves them out), and with it the files it references.
The tag also names the version for any Iceberg reader (``<dataset>-<snapshot id>``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lake.exceptions import LakeError
from lake.settings import Settings, get_settings

if TYPE_CHECKING:
    from pyiceberg.table import Table

__all__ = ["tag_version", "tagged_versions"]

logger = logging.getLogger(__name__)


def tag_version(table_name: str, snapshot_id: int, tag: str, settings: Settings | None = None) -> None:
    """Tag ``snapshot_id`` of ``table_name`` as ``tag``; retried when another writer commits first.

    Tagging the same snapshot again does nothing.

    Raises:
        LakeError: the table has no such snapshot, or ``tag`` already names another snapshot.
    """
    from lake.catalog import load_table
    from lake.write import commit_retried

    def tag_it(table: Table) -> None:
        if table.snapshot_by_id(snapshot_id) is None:
            raise LakeError(f"table {table_name} has no snapshot {snapshot_id} to tag as {tag}")
        ref = table.refs().get(tag)
        if ref is not None:
            if ref.snapshot_id == snapshot_id:
                return
            raise LakeError(f"tag {tag} of table {table_name} already names snapshot {ref.snapshot_id}, "
                            f"not {snapshot_id}")
        table.manage_snapshots().create_tag(snapshot_id, tag).commit()
        logger.info("tagged snapshot %d of %s as %s", snapshot_id, table_name, tag)

    settings = settings or get_settings()
    commit_retried(load_table(table_name, settings), tag_it, settings)


def tagged_versions(table_name: str, settings: Settings | None = None) -> dict[str, int]:
    """The table's tags and the snapshot each names."""
    from pyiceberg.table.refs import SnapshotRefType

    from lake.catalog import load_table

    refs = load_table(table_name, settings).refs()
    return {name: ref.snapshot_id for name, ref in refs.items() if ref.snapshot_ref_type == SnapshotRefType.TAG}
