"""Write a streamed SQL result as an aligned table, CSV, JSON or Parquet, in bounded memory.

A file given with ``--output`` is written to a temporary name beside it and renamed when complete, so an
interrupted or failed query never leaves half a file.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["TABLE_ROWS", "run_and_write", "write_result"]

#: rows ``--format table`` prints; the rest are counted.
TABLE_ROWS = 200


def write_result(query: str, fmt: str, output: Path | None, limit: int | None = None) -> int:
    """Run ``query`` on a sealed lake connection and write its rows; return how many rows there were.

    Args:
        query: one read-only SQL statement.
        fmt: ``table``, ``csv``, ``json`` or ``parquet`` (``parquet`` needs ``output``).
        output: file to write; default standard output.
        limit: at most this many rows.

    Raises:
        QueryError: refused or failed SQL; ``QueryInterrupted`` on Ctrl-C.
    """
    from lake.query import stream_sql

    with stream_sql(query, limit=limit) as result, _target(output, binary=fmt == "parquet") as out:
        if fmt == "parquet":
            _parquet(result, out)
        elif fmt == "csv":
            _csv(result, out)
        elif fmt == "json":
            _json(result, out)
        else:
            _table(result, out)
        return int(result.rows)


def run_and_write(query: str, fmt: str | None, output: Path | None, limit: int | None) -> int:
    """Run ``query`` and write its rows as ``sarlake sql`` does; return the rows written.

    The format is ``output``'s suffix by default, Ctrl-C exits 130, and a file written says so on stderr.
    """
    import click

    if output is not None and not output.parent.is_dir():  # else the error named the temporary file beside it
        raise click.BadParameter(f"folder {output.parent} does not exist", param_hint="'--output'")
    if fmt is None:  # `-o out.csv` alone wrote the aligned table into out.csv
        suffix = output.suffix.lower().lstrip(".") if output is not None else ""
        fmt = suffix if suffix in ("csv", "json", "parquet") else "table"
    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet needs --output FILE")
    from lake.query import QueryInterrupted

    try:
        rows = write_result(query, fmt, output, limit)
    except QueryInterrupted:
        click.echo("error: query interrupted (Ctrl-C)", err=True)
        raise click.exceptions.Exit(130) from None
    if output is not None:
        click.echo(f"wrote {rows} rows to {output}", err=True)
    if _MARTS.search(query):
        _note_stale_marts()
    return rows


#: a query that reads the dbt catalogue (``catalogue.marts.x``, ``"catalogue".marts.x``)
_MARTS = re.compile(r'\b"?catalogue"?\s*\.', re.IGNORECASE)
#: changed tables named in the note; the rest are counted
_SHOWN_TABLES = 3


def _note_stale_marts() -> None:
    """Say on stderr when the lake has changed since the marts were built (their answer is of the lake then)."""
    import click

    from lake.catalogue_age import tables_changed_since_build
    from lake.exceptions import CatalogError
    from lake.settings import get_settings

    try:
        age = tables_changed_since_build(get_settings())
    except CatalogError:  # the query itself read the lake; a table's metadata gone since is no reason to fail
        return
    if age is None or not age.changed:
        return
    names = [name for name, _ in age.changed]
    shown = ", ".join(names[:_SHOWN_TABLES]) + (f" and {len(names) - _SHOWN_TABLES} more"
                                                 if len(names) > _SHOWN_TABLES else "")
    click.echo(f"note: the marts (catalogue.*) were built at {age.built_at:%Y-%m-%d %H:%M:%S} UTC, from the lake "
               f"as it was then; {shown} changed since (last at {age.changed[0][1]:%Y-%m-%d %H:%M:%S} UTC). "
               "`sarlake dbt build` (or the catalog DAG) rebuilds them.", err=True)


@contextlib.contextmanager
def _target(output: Path | None, binary: bool) -> Iterator[IO[Any]]:
    if output is None:
        yield sys.stdout.buffer if binary else sys.stdout
        sys.stdout.flush()
        return
    tmp = output.with_name(f".{output.name}.partial-{os.getpid()}")
    try:
        with open(tmp, "wb" if binary else "w", newline="" if not binary else None) as handle:
            yield handle
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)


def _parquet(result: Any, out: IO[bytes]) -> None:
    import pyarrow.parquet as pq

    with pq.ParquetWriter(out, result.schema) as writer:
        for batch in result:
            writer.write_batch(batch)


#: rows written with one quoting style: a value that needs quotes quotes only its own slice of the rows
CSV_SLICE_ROWS = 1024


def _csv(result: Any, out: IO[str]) -> None:
    """CSV quoting a value only where it needs it (a comma, a quote, a line break), as psql and DuckDB write it.

    pyarrow's own "needed" style quotes every string, so `sarlake sql ... --format csv | tail -1` gave
    ``"S1-GUNW-..."`` to a shell script. Each slice of :data:`CSV_SLICE_ROWS` rows is written unquoted, or quoted
    as pyarrow does when one of its values needs it: a file may mix the two styles, which any CSV reader reads
    alike. Unquoted, an empty string reads as a null, as in most CSV.
    """
    header = True
    for batch in result:
        for start in range(0, batch.num_rows, CSV_SLICE_ROWS):
            out.write(_csv_text(batch.slice(start, CSV_SLICE_ROWS), header))
            header = False
    if header:  # no row: the header alone
        out.write(_csv_text(result.schema.empty_table(), header))


def _csv_text(rows: Any, header: bool) -> str:
    """``rows`` as CSV: bare, or every string quoted when a value needs quotes (pyarrow's "needed")."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    buffer = io.BytesIO()
    try:
        pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=header, quoting_style="none",
                                                         quoting_header="none"))
    except pa.ArrowInvalid:  # "none" refuses a value with a comma, a quote or a line break
        buffer = io.BytesIO()
        pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=header))
    return buffer.getvalue().decode()


def _json(result: Any, out: IO[str]) -> None:
    """A JSON array written row by row (every column, unique names; NaN and infinities, which JSON lacks, as null)."""
    out.write("[")
    first = True
    for batch in result:
        for row in batch.to_pylist():
            out.write(("\n " if first else ",\n ") + json.dumps(_finite(row), default=_json_value, allow_nan=False))
            first = False
    out.write("\n]\n" if not first else "]\n")


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities (in lists and structs too) as None: JSON has no such numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _json_value(value: Any) -> Any:
    """JSON for what ``json`` cannot write: decimals as numbers, the rest (dates, times, ...) as text."""
    from decimal import Decimal

    if isinstance(value, Decimal) and value.is_finite():
        return float(value)
    return str(value)


def _table(result: Any, out: IO[str]) -> None:
    names = list(result.schema.names)
    shown: list[list[str]] = []
    for batch in result:
        if len(shown) < TABLE_ROWS:
            for row in batch.slice(0, TABLE_ROWS - len(shown)).to_pylist():
                shown.append(["" if v is None else str(v) for v in row.values()])
    widths = [max([len(n)] + [len(r[i]) for r in shown]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in shown]
    total = result.rows
    more = (f" (first {TABLE_ROWS} shown; use --limit, or --format parquet --output FILE for all)"
            if total > TABLE_ROWS else "")
    lines.append(f"({total} row{'s' if total != 1 else ''}{more})")
    out.write("\n".join(lines) + "\n")
