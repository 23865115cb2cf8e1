"""The Iceberg catalogue: open it, create the lake's namespace and tables, load a table."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from lake.exceptions import CatalogError
from lake.settings import Settings, get_settings, is_remote, shown_uri
from lake.tables import DEFAULT_PROPERTIES, TABLES, TableSpec

if TYPE_CHECKING:
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.table import Table

__all__ = ["fileio_properties", "get_catalog", "init_lake", "load_table", "require_lake", "table_counts"]

logger = logging.getLogger(__name__)
# pyiceberg says "Loaded FileIO: ..." at INFO for every table it loads: 35 of a label_set task's 50 log lines
logging.getLogger("pyiceberg.io").setLevel(logging.WARNING)

#: FileIO of every lake table: records what a write opens so a failed commit can delete it (lake._pyiceberg_compat).
IO_IMPL = "lake._pyiceberg_compat.RecordingFileIO"


def fileio_properties(settings: Settings) -> dict[str, str]:
    """Pyiceberg FileIO properties for the warehouse (S3 credentials and endpoint when it is s3://).

    Args:
        settings: the lake settings.

    Returns:
        Catalogue properties; empty for a local warehouse.
    """
    if not is_remote(settings.warehouse):
        return {}
    s3 = settings.s3
    props = {"s3.region": s3.region}
    if s3.endpoint:
        props["s3.endpoint"] = s3.endpoint
    if s3.access_key_id:
        props["s3.access-key-id"] = s3.access_key_id
    if s3.secret_access_key:
        props["s3.secret-access-key"] = s3.secret_access_key
    props["s3.force-virtual-addressing"] = "false" if s3.path_style else "true"
    props["s3.connect-timeout"] = str(s3.connect_timeout_seconds)
    props["s3.request-timeout"] = str(s3.read_timeout_seconds)
    props["s3.retry-strategy-impl"] = "lake.s3retry.BoundedS3Retry"
    return props



def get_catalog(settings: Settings | None = None) -> SqlCatalog:
    """Open the pyiceberg SQL catalogue named by the settings.

    Args:
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        The catalogue (SQLite by default, PostgreSQL in production).

    Raises:
        CatalogError: the catalogue database cannot be opened.
    """
    settings = settings or get_settings()
    props = tuple(sorted(fileio_properties(settings).items()))
    return _open_catalog(settings.catalog_name, settings.catalog_uri, settings.warehouse, props)


@lru_cache(maxsize=16)
def _open_catalog(name: str, catalog_uri: str, warehouse: str, props: tuple[tuple[str, str], ...]) -> SqlCatalog:
    from pyiceberg.catalog.sql import SqlCatalog

    if not is_remote(warehouse):
        Path(warehouse).mkdir(parents=True, exist_ok=True)
        warehouse = Path(warehouse).absolute().as_uri()
    if catalog_uri.startswith("sqlite:///"):
        Path(catalog_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        # RecordingFileIO (a PyArrowFileIO) lets a failed commit delete every file it wrote.
        return SqlCatalog(name, uri=catalog_uri, warehouse=warehouse, init_catalog_tables="true",
                          **{"py-io-impl": IO_IMPL, **dict(props)})
    except Exception as exc:  # SQLAlchemy raises many types; report one line
        raise CatalogError(f"cannot open the Iceberg catalogue at {shown_uri(catalog_uri)}: "
                           f"{shown_uri(catalog_uri, str(exc))}") from exc


def init_lake(settings: Settings | None = None) -> list[str]:
    """Create the lake namespace and every table of :data:`lake.tables.TABLES`, idempotently.

    Existing tables are left as they are, except that columns added to a table's definition since it was
    created are added (never dropped or retyped), missing default properties are set, and rows written before a
    column had a default get it (``products.tier`` 'hot').

    Args:
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        Fully qualified names of the tables created by this call.
    """
    from pyiceberg.exceptions import NamespaceAlreadyExistsError, TableAlreadyExistsError

    settings = settings or get_settings()
    catalog = get_catalog(settings)
    try:
        catalog.create_namespace(settings.namespace)
    except NamespaceAlreadyExistsError:
        pass
    from lake.pointers import table_pointers

    # one read of the catalogue, which also refuses a lake moved or copied; catalog.table_exists would read each
    # table's metadata only to know it exists, and load_table read it again
    present = {p.name for p in table_pointers(settings)}
    created: list[str] = []
    for spec in TABLES.values():
        identifier = (settings.namespace, spec.name)
        if spec.name in present:
            table = load_table(spec.name, settings)
            _evolve(table, spec)
            _fill_defaults(table, spec, settings)
            continue
        schema = spec.iceberg_schema()
        try:
            catalog.create_table(
                identifier,
                schema=schema,
                partition_spec=spec.partition_spec(schema),
                sort_order=spec.sort_order(schema),
                properties={**DEFAULT_PROPERTIES, "comment": spec.doc},
            )
        except TableAlreadyExistsError:  # a concurrent init got there first
            continue
        created.append(".".join(identifier))
        logger.info("created table %s", ".".join(identifier))
    return created


def _fill_defaults(table: Table, spec: TableSpec, settings: Settings) -> int:
    """Give rows written before a column had a default that default (``products.tier`` 'hot', ``status``).

    New rows get a :attr:`lake.tables.TableSpec.defaults` value when written; this brings older rows in line
    once, so that a query need not read null as the default. A table with none left is not written.

    Returns:
        The number of rows changed.
    """
    from lake.write import update

    names = [n for n in spec.defaults if n in table.schema().column_names]
    if not names:
        return 0
    stored = table.scan(selected_fields=(*spec.key, *names)).to_arrow().to_pylist()
    patches = [{**{k: r[k] for k in spec.key}, **{n: spec.defaults[n] for n in names if r[n] is None}}
               for r in stored if any(r[n] is None for n in names)]
    if patches:
        update(spec.name, patches, settings)
        logger.info("%s: %d row(s) given the defaults of %s", spec.name, len(patches), ", ".join(names))
    return len(patches)


def _evolve(table: Table, spec: TableSpec) -> None:
    """Add missing columns and properties, and move to the defined partitioning (never drops or retypes columns).

    A changed partitioning applies to new files; files written under the old spec stay readable (Iceberg
    partition evolution) and upserts find keys in them.
    """
    existing = {f.name for f in table.schema().fields}
    missing = [c for c in spec.columns if c.name not in existing]
    props = {k: v for k, v in DEFAULT_PROPERTIES.items() if k not in table.properties}
    if not missing:
        _evolve_partitioning(table, spec)
    if not missing and not props:
        return
    wanted = spec.iceberg_schema()
    with table.transaction() as txn:
        if missing:
            with txn.update_schema() as update:
                for c in missing:
                    f = wanted.find_field(c.name)
                    update.add_column(c.name, f.field_type, doc=c.doc)
        if props:
            txn.set_properties(props)
    logger.info("evolved table %s: added %s", spec.name, [c.name for c in missing])
    if missing:
        _evolve_partitioning(table.refresh(), spec)


def _evolve_partitioning(table: Table, spec: TableSpec) -> None:
    """Replace the table's partition fields by the definition's when they differ."""
    wanted = spec.partition_spec(table.schema())
    schema = table.schema()

    def fields(ps: object) -> list[tuple[str, str]]:
        return [(schema.find_field(f.source_id).name, str(f.transform)) for f in ps.fields]  # type: ignore[attr-defined]

    if fields(table.spec()) == fields(wanted):
        return
    with table.update_spec() as update:
        for f in table.spec().fields:
            update.remove_field(f.name)
        for f in wanted.fields:
            update.add_field(schema.find_field(f.source_id).name, f.transform, f.name)
    logger.info("table %s: partitioning changed to %s", spec.name, fields(wanted))


def load_table(name: str, settings: Settings | None = None) -> Table:
    """Load one lake table.

    Args:
        name: table name (a key of :data:`lake.tables.TABLES`, or any table in the namespace).
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        The pyiceberg table.

    Raises:
        CatalogError: the table does not exist (the lake was not initialised), or it is recorded outside the
            configured warehouse (the lake was moved or copied: :func:`lake.pointers.check_location`).
    """
    from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

    from lake.pointers import check_location, table_pointers

    settings = settings or get_settings()
    catalog = get_catalog(settings)
    try:
        table = catalog.load_table((settings.namespace, name))
    except (NoSuchTableError, NoSuchNamespaceError) as exc:
        known = ", ".join(TABLES)
        raise CatalogError(
            f"table {settings.namespace}.{name} does not exist in {settings.catalog_shown}; "
            f"run `sarlake init` to create the lake (tables: {known})"
        ) from exc
    except FileNotFoundError:  # its metadata file is gone: a lake moved elsewhere says so, anything else is raised
        for pointer in table_pointers(settings):
            if pointer.name == name:
                check_location(name, pointer.metadata_location, settings)
        raise
    check_location(name, table.metadata_location, settings)
    return table


def require_lake(settings: Settings | None = None) -> None:
    """Refuse work whose results would be catalogued in a lake that was never initialised.

    Called before a PGE runs for ``sarlake ingest`` and ``sarlake unwrap``: without it the products were read,
    unwrapped and published, and only the cataloguing at the end said ``run `sarlake init```.

    Raises:
        CatalogError: a table of :data:`lake.tables.TABLES` is missing, naming them and ``sarlake init``.
    """
    from pyiceberg.exceptions import NoSuchNamespaceError

    settings = settings or get_settings()
    try:
        present = {identifier[-1] for identifier in get_catalog(settings).list_tables(settings.namespace)}
    except NoSuchNamespaceError:
        present = set()
    missing = [name for name in TABLES if name not in present]
    if not missing:
        return
    what = (f"is not initialised (none of its {len(TABLES)} tables in namespace {settings.namespace})"
            if len(missing) == len(TABLES) else f"lacks the table(s) {', '.join(missing)} of a newer sarlake")
    raise CatalogError(f"the lake at {settings.catalog_shown} {what}; run `sarlake init` first (no input was read)")


def table_counts(settings: Settings | None = None) -> list[tuple[str, int]]:
    """Return ``(table, row count)`` for every table of the lake namespace, defined tables first.

    Row counts come from each table's current snapshot summary (no data file is read). The catalogue's
    metadata pointers and the metadata JSON are read directly (:mod:`lake.pointers`), without pyiceberg.

    Raises:
        CatalogError: the lake has not been initialised (``sarlake init``).
    """
    from lake.pointers import read_metadata, total_records
    from lake.query import lake_pointers

    settings = settings or get_settings()
    return [(p.name, total_records(read_metadata(p.metadata_location, settings))) for p in lake_pointers(settings)]
