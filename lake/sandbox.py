"""Lock an analyst's DuckDB connection to reading the lake, with DuckDB's own controls.

Once the lake views exist, :func:`seal` turns the connection into a sandbox:

- ``allowed_directories`` holds only the warehouse (``file:///.../warehouse/`` or ``s3://bucket/prefix/``), and
  ``enable_external_access = false`` refuses every other file, URL, ``ATTACH``, ``COPY``, ``EXPORT``, ``INSTALL``
  and ``LOAD``;
- the local file system is disabled (``disabled_filesystems = 'LocalFileSystem'``): a local warehouse is read
  through :class:`ReadOnlyFileSystem`, an fsspec file system for ``file://`` that refuses every write, so even
  ``COPY ... TO`` a data file of the warehouse fails;
- extensions are never installed or auto-loaded, and ``lock_configuration = true`` refuses any ``SET``/``PRAGMA``
  that would undo the above.

:func:`seal` reads the settings back and raises if one did not take (a sandbox that fails open is worse than
none). On S3, the lake's secret is scoped to the warehouse prefix and carries the read-only credentials when the
settings give them (``SARLAKE_S3__READ_ONLY_ACCESS_KEY_ID``); DuckDB 1.5.5 normalises ``..`` in ``s3://`` paths
after its ``allowed_directories`` check, so :func:`lake.sql_guard.check_read_only` also refuses ``..`` segments and
the read-only key's policy should allow only the warehouse bucket.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from lake.exceptions import QueryError, SQLSandboxError

if TYPE_CHECKING:
    import duckdb

__all__ = ["explain_refusal", "seal"]  # and ReadOnlyFileSystem, from lake.readonly_fs

logger = logging.getLogger(__name__)


def __getattr__(name: str) -> Any:
    """``ReadOnlyFileSystem`` lives in :mod:`lake.readonly_fs` (fsspec is imported only when it is used)."""
    if name == "ReadOnlyFileSystem":
        from lake.readonly_fs import ReadOnlyFileSystem

        return ReadOnlyFileSystem
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: setting -> the value it must read back as once sealed.
_SEALED = {
    "enable_external_access": "false",
    "lock_configuration": "true",
    "autoinstall_known_extensions": "false",
    "autoload_known_extensions": "false",
    "allow_community_extensions": "false",
}


def seal(con: duckdb.DuckDBPyConnection, allowed_prefix: str, *same_folder: str) -> None:
    """Restrict ``con`` to reading under ``allowed_prefix`` and lock its configuration.

    Args:
        con: a connection whose views are already created.
        allowed_prefix: ``file:///.../warehouse/`` or ``s3://bucket/prefix/`` (ending with ``/``).
        same_folder: other spellings of the same folder (its path with symbolic links resolved): DuckDB compares
            paths as text, and the table metadata keeps the spelling the lake was made with.

    Raises:
        QueryError: a setting did not take (the connection is closed, never handed out half-sealed).
    """
    quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in dict.fromkeys((allowed_prefix, *same_folder)))
    # Order matters: external access must go off before the local file system is disabled (DuckDB 1.5.5
    # needs the local file system to apply enable_external_access), and the lock comes last.
    for statement in (
        f"SET allowed_directories = [{quoted}]",
        "SET allowed_paths = []",
        "SET temp_directory = ''",
        "SET enable_external_access = false",
        "SET disabled_filesystems = 'LocalFileSystem'",
        "SET lock_configuration = true",
    ):
        con.execute(statement)
    problems = _check_sealed(con, allowed_prefix)
    if problems:
        con.close()
        raise QueryError(f"could not seal the SQL sandbox ({'; '.join(problems)}); refusing to open the lake")


def _check_sealed(con: duckdb.DuckDBPyConnection, allowed_prefix: str) -> list[str]:
    """Read back what can be read back and probe the rest; return what is wrong (empty when sealed)."""
    import duckdb

    names = ", ".join(f"'{n}'" for n in _SEALED)
    got = dict(con.execute(f"SELECT name, value FROM duckdb_settings() WHERE name IN ({names})").fetchall())
    problems = [f"{k} is {got.get(k)!r}" for k, v in _SEALED.items() if str(got.get(k)) != v]
    # disabled_filesystems does not read back in DuckDB 1.5.5: probe it, and the lock, by behaviour.
    local = allowed_prefix.removeprefix("file://") if allowed_prefix.startswith("file://") else "/"
    probes = {
        "the local file system is still enabled": (f"SELECT * FROM glob('{local.replace(chr(39), '')}*')",
                                                   "LocalFileSystem has been disabled"),
        "the configuration is not locked": ("SET threads = 1", "locked"),
    }
    for problem, (sql, expected) in probes.items():
        try:
            con.execute(sql).fetchall()
        except duckdb.Error as exc:
            if expected in str(exc):
                continue
        problems.append(problem)
    return problems


_PERMISSION = re.compile(r'Cannot access (?:file|directory) "([^"]*)"')


def explain_refusal(exc: BaseException, warehouse: str) -> QueryError | None:
    """Turn DuckDB's refusal of a sandboxed operation into one clear line, or None if it is not one."""
    import duckdb

    text = " ".join(str(exc).split())
    if isinstance(exc, duckdb.PermissionException) or "read-only through SQL" in text:
        match = _PERMISSION.search(text)
        what = f"{match.group(1)!r} is outside the lake" if match else _short(text)
        if "LocalFileSystem has been disabled" in text:
            what = "files and URLs outside the lake cannot be read or written"
        elif "external extensions is disabled" in text:
            what = "loading extensions is not allowed"
        return SQLSandboxError(f"refused: {what}; SQL may only read the lake's tables (warehouse {warehouse})")
    if "configuration has been locked" in text:
        match = re.search(r'option "([^"]+)"', text)
        name = match.group(1) if match else "settings"
        return SQLSandboxError(f"refused: cannot change {name}; the SQL session's configuration is locked")
    return None


def _short(text: str) -> str:
    return text.split(": ", 1)[-1][:160]
