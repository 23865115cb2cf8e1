"""Whether the dbt catalogue's marts are older than the lake they were built from.

The marts (``catalogue.marts.*``) are tables: dbt wrote them from the lake as it was when the catalogue was last
built (``sarlake dbt build``, or the ``catalog`` DAG when products change). A query on them after a later commit
(an archive roll, a QA run, new products) reads the lake as it was then, with nothing in its answer to say so.
:func:`tables_changed_since_build` compares the last write of the catalogue readers attach (the local file, or
on an S3 lake the published copy: :mod:`lake.catalogue_store`) with each lake table's last commit
(``last-updated-ms`` of its current metadata JSON, read without pyiceberg).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lake.catalogue_store import built_at as catalogue_built_at
from lake.pointers import read_metadata, table_pointers
from lake.settings import Settings

__all__ = ["CatalogueAge", "tables_changed_since_build"]


@dataclass(frozen=True)
class CatalogueAge:
    """The catalogue's last build and the lake tables committed to after it.

    Attributes:
        built_at: when the catalogue file was last written (UTC).
        changed: (table, its last commit, UTC) for each table committed to after ``built_at``, latest first.
    """

    built_at: datetime
    changed: list[tuple[str, datetime]]


def tables_changed_since_build(settings: Settings) -> CatalogueAge | None:
    """The lake tables committed to after the catalogue was last built; ``None`` without a catalogue.

    Args:
        settings: the lake settings (``catalogue_db`` and the Iceberg catalogue).

    Raises:
        CatalogError: the Iceberg catalogue or a table's metadata cannot be read.
    """
    built_at = catalogue_built_at(settings)
    if built_at is None:
        return None
    changed = []
    for pointer in table_pointers(settings):
        updated_ms = read_metadata(pointer.metadata_location, settings).get("last-updated-ms")
        if updated_ms is None:
            continue
        updated = datetime.fromtimestamp(int(updated_ms) / 1000, tz=UTC)
        if updated > built_at:
            changed.append((pointer.name, updated))
    return CatalogueAge(built_at, sorted(changed, key=lambda item: item[1], reverse=True))
