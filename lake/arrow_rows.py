"""Rows made to fit a lake table: cast to its Arrow schema, one row per key, defaults filled in.

What every write does to its rows first (:mod:`lake.write`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from lake.exceptions import LakeError
from lake.keys import key_array
from lake.tables import TABLES, TableSpec

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.table import Table

__all__ = ["fill_new", "table_spec", "to_arrow"]


def table_spec(table_name: str) -> TableSpec:
    """The definition of the lake table ``table_name`` (:data:`lake.tables.TABLES`), or a LakeError naming them."""
    if table_name not in TABLES:
        raise LakeError(f"unknown lake table {table_name!r}; tables: {', '.join(TABLES)}")
    return TABLES[table_name]


def to_arrow(spec: TableSpec, rows: pa.Table | list[dict[str, Any]], table: Table | None = None) -> pa.Table:
    """Cast rows to a table's Arrow schema and drop duplicate keys (the last row of a key wins).

    Args:
        spec: the table definition.
        rows: an Arrow table or a list of dicts.
        table: the Iceberg table, whose current schema is used (default: the definition's schema).

    Returns:
        An Arrow table with exactly the table's columns, in order.

    Raises:
        LakeError: a column that the table does not have, a value of the wrong type, or a null key.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = table.schema() if table is not None else spec.iceberg_schema()
    target = _plain_schema(schema.as_arrow())
    names = set(target.names)
    if isinstance(rows, list):
        extra = sorted({k for r in rows for k in r} - names)
        if extra:
            raise LakeError(f"table {spec.name} has no column(s) {', '.join(extra)}")
        data = _from_rows(spec, rows, target)
    else:
        extra = sorted(set(rows.column_names) - names)
        if extra:
            raise LakeError(f"table {spec.name} has no column(s) {', '.join(extra)}")
        data = rows
    columns = []
    for f in target:
        if f.name in data.column_names:
            column = data.column(f.name)
            try:
                column = column.cast(f.type) if column.type != f.type else column
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise LakeError(f"column {spec.name}.{f.name}: cannot convert {column.type} to {f.type}") from exc
        else:
            column = pa.nulls(data.num_rows, f.type)
        if not f.nullable and column.null_count:
            raise LakeError(f"column {spec.name}.{f.name} is part of the key and must not be null")
        columns.append(column)
    out = pa.Table.from_arrays(columns, schema=target)
    # de-duplicate by key, keeping the last occurrence
    keys = key_array(out, spec.key)
    if pc.count_distinct(keys).as_py() != out.num_rows:
        idx = pa.table({"k": keys, "i": pa.array(range(out.num_rows), pa.int64())})
        last = idx.group_by("k").aggregate([("i", "max")]).column("i_max")
        out = out.take(pc.take(last, pc.sort_indices(last)))
    return out


def _plain_schema(schema: pa.Schema) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(f.name, f.type, f.nullable) for f in schema])


def _nullable(schema: pa.Schema) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(f.name, f.type, True) for f in schema])


def _from_rows(spec: TableSpec, rows: list[dict[str, Any]], target: pa.Schema) -> pa.Table:
    """Rows as Arrow: in one call when they hold the columns' Python types already, else coerced row by row.

    Only ISO strings in timestamp/date columns (and datetimes in date columns) need coercing; Arrow refuses a
    string where it wants a number, so the one-call build fails on exactly those and the rows are then coerced.
    """
    import pyarrow as pa

    nullable = _nullable(target)
    if not any(pa.types.is_date32(f.type) for f in target):  # Arrow would take a datetime there, differently
        try:
            return pa.Table.from_pylist(rows, schema=nullable)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass  # strings to parse (or a real misfit, which the coercing path reports)
    try:
        return pa.Table.from_pylist([_coerce_row(r, target) for r in rows], schema=nullable)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise LakeError(f"rows do not fit table {spec.name}: {exc}") from exc


def _coerce_row(row: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    import pyarrow as pa

    out = dict(row)
    for name, value in row.items():
        if not isinstance(value, str):
            if isinstance(value, datetime) and pa.types.is_date32(schema.field(name).type):
                out[name] = value.date()
            continue
        ftype = schema.field(name).type
        if pa.types.is_timestamp(ftype):
            out[name] = _parse_datetime(value)
        elif pa.types.is_date32(ftype):
            out[name] = date.fromisoformat(value[:10])
    return out


def _parse_datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def fill_new(spec: TableSpec, rows: pa.Table, now: pa.Scalar | None) -> pa.Table:
    """``rows`` with their nulls filled by the table's defaults, and ``created_at``/``updated_at`` by ``now``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    fills: dict[str, Any] = dict(spec.defaults)
    if now is not None:
        fills.setdefault("updated_at", now)
        if "created_at" in rows.column_names:
            fills.setdefault("created_at", now)
    for name, value in fills.items():
        i = rows.schema.get_field_index(name)
        if i < 0 or rows.column(name).null_count == 0:
            continue
        field = rows.schema.field(i)
        scalar = value if isinstance(value, pa.Scalar) else pa.scalar(value, field.type)
        rows = rows.set_column(i, field, pc.fill_null(rows.column(name), scalar))
    return rows
