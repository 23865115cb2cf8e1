"""What analysts' SQL may do, said in one line: the read-only check and the wording of DuckDB's errors.

This check gives clear messages; the connection's sandbox (:mod:`lake.sandbox`) is what enforces read-only
access.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lake.exceptions import QueryError, SQLSandboxError

if TYPE_CHECKING:
    import duckdb

    from lake.settings import Settings

__all__ = ["READ_PRAGMAS", "QueryInterrupted", "check_read_only", "translate_error"]

#: the PRAGMAs that only read (DuckDB runs each as a SELECT of a table function or a catalogue view).
READ_PRAGMAS = ("table_info", "show_tables", "show_tables_expanded", "show_databases", "database_list", "version",
                "platform", "functions")

_ALLOWED = f"allowed: SELECT, WITH, PIVOT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN and the PRAGMAs {', '.join(READ_PRAGMAS)}"
_EXPLAIN = re.compile(r"^\s*explain(\s+analy[sz]e)?\s+", re.IGNORECASE)
_LEAD = r"(?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)*"  # blanks and comments
_PRAGMA = re.compile(rf"^{_LEAD}pragma\b{_LEAD}(\w+)", re.IGNORECASE | re.DOTALL)
_DOTDOT = re.compile(r"(?:^|[/\\'\"])\.\./|/\.\.(?:['\"]|$)")
_MISSING = re.compile(r"([A-Z][a-z]+(?: [A-Z][a-z]+)?) with name (\S+) does not exist")


class QueryInterrupted(QueryError):
    """The query was interrupted (Ctrl-C)."""


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise unless ``sql`` is one statement that only reads.

    Allowed: SELECT (with WITH, FROM-first, PIVOT, UNPIVOT, DESCRIBE, SHOW, SUMMARIZE), the PRAGMAs of
    :data:`READ_PRAGMAS` (which DuckDB runs as SELECTs) and EXPLAIN [ANALYZE] of such a statement.

    Args:
        con: a connection used to parse ``sql``.
        sql: the SQL.

    Raises:
        QueryError: a statement that writes or changes state, another PRAGMA, several statements, a ``..``
            path segment, or SQL that does not parse.
    """
    import duckdb

    try:
        statements = _written(con.extract_statements(sql))
    except duckdb.Error as exc:
        raise QueryError(one_line(exc)) from exc
    if not statements:
        raise QueryError("no SQL statement given")
    for statement in statements:
        kind = statement.type
        # a PIVOT's statement comes back without its text; alone, it is all of ``sql``
        text = statement.query.strip() or (sql.strip() if len(statements) == 1 else "")
        if kind == duckdb.StatementType.EXPLAIN:
            inner = _EXPLAIN.sub("", text)
            if inner == text:
                raise QueryError(f"cannot check the EXPLAIN statement {text[:60]!r}; the lake is read-only")
            check_read_only(con, inner)
            continue
        if kind != duckdb.StatementType.SELECT:
            verb = kind.name if hasattr(kind, "name") else str(kind)
            first = text.split(None, 1)[0].upper() if text else verb
            raise QueryError(f"{first} statements are not allowed: the lake is read-only through SQL ({_ALLOWED})")
    if len(statements) > 1:
        raise QueryError(f"give one statement at a time (found {len(statements)}; remove the ';' between them)")
    pragma = _PRAGMA.match(sql)
    if pragma and pragma.group(1).lower() not in READ_PRAGMAS:
        raise QueryError(f"PRAGMA {pragma.group(1)} is not allowed through SQL on the lake ({_ALLOWED})")
    if _DOTDOT.search(sql):
        raise SQLSandboxError("refused: '..' in a path; SQL may only read the lake's tables")


def _written(statements: Sequence[duckdb.Statement]) -> list[duckdb.Statement]:
    """The statements the user wrote, without those DuckDB adds for a PIVOT that has no ``IN`` list.

    DuckDB runs ``PIVOT products ON track USING count(*)`` as a text-less ``CREATE TYPE ... AS ENUM`` of the
    values per PIVOT, then the text-less statement that uses them (an EXPLAIN of one inside a text-less
    transaction). A text-less CREATE is taken for such a type only when a SELECT, an EXPLAIN or another such
    CREATE follows it directly: the CREATE of ``CREATE TABLE t AS PIVOT ...`` is followed by its transaction's
    end, and stays.
    """
    import duckdb

    kinds = duckdb.StatementType
    kept: list[duckdb.Statement] = []
    serves = False  # the next statement is one a PIVOT's type may come before
    for statement in reversed(statements):
        generated = not statement.query.strip()
        if generated and statement.type == kinds.TRANSACTION:
            serves = False
            continue
        if not (generated and statement.type == kinds.CREATE and serves):
            kept.append(statement)
            serves = statement.type in (kinds.SELECT, kinds.EXPLAIN)
    return kept[::-1]


def one_line(exc: BaseException) -> str:
    """The first two lines of an error's text, as one line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(exc).__name__


def translate_error(exc: BaseException, con: duckdb.DuckDBPyConnection | None,
                    settings: Settings | None) -> QueryError:
    """One clear line for a DuckDB error of analyst SQL (sandbox refusal, unknown table or function, bad SQL)."""
    import duckdb

    from lake.sandbox import explain_refusal
    from lake.settings import get_settings

    refused = explain_refusal(exc, (settings or get_settings()).warehouse)
    if refused is not None:
        return refused
    if isinstance(exc, duckdb.CatalogException) and con is not None:
        match = _MISSING.search(str(exc))
        kind, name = match.groups() if match else ("", "")
        if name.lower() == "getenv":  # DuckDB's CLI shell has it; the library, and so the lake's SQL, does not
            return QueryError("getenv is not available: SQL on the lake cannot read environment variables")
        if kind.endswith("Function") and kind != "Table Function":
            return QueryError(f"unknown function {name} (SELECT function_name FROM duckdb_functions() lists them)")
        what = f"unknown {kind.lower()} {name}" if match else one_line(exc)
        marts = _marts(con)
        more = (f"; the dbt marts are: {', '.join(marts)}" if marts
                else "; the dbt marts (catalogue.marts.*) are not built: `sarlake dbt build`")
        return QueryError(f"{what}; the lake's tables are: {', '.join(_views(con)) or '(none)'}{more}")
    if "interrupted" in str(exc).lower():
        return QueryInterrupted("query interrupted")
    return QueryError(one_line(exc))


def _marts(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The dbt marts of the attached catalogue, by the names SQL reaches them by (``catalogue.marts.<mart>``)."""
    import duckdb

    try:
        rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'catalogue' "
                           "AND table_schema = 'marts' ORDER BY 1").fetchall()
    except duckdb.Error:
        return []
    return [f"catalogue.marts.{r[0]}" for r in rows]


def _views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The connection's own views: the lake's tables.

    Not those of an attached database such as the dbt catalogue, whose ``lake`` schema repeats every name and
    whose ``staging`` models are not lake tables.
    """
    import duckdb

    try:
        rows = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = "
                           "current_database() AND schema_name = current_schema() ORDER BY 1").fetchall()
    except duckdb.Error:
        return []
    return [r[0] for r in rows]
