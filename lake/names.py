"""The one rule for names that become paths (AOI, product, acquisition and run ids), and path containment.

Every name that ends up as a folder or object key is checked here before a path is built from it, and every
path built from a root and such names is checked to stay under that root. The patterns are plain strings so
that other layers (the Airflow trigger form of ``dags/forward.py``) can use the same constant without
importing anything heavy.

AOI names: lower-case letters, digits, ``_`` and ``-``, starting with a letter or digit, at most 63
characters (:data:`AOI_NAME_PATTERN`). Ids (products, acquisitions, runs): letters, digits and ``._:+-``,
starting with a letter or digit, at most 255 characters, and never ``.`` or ``..`` as a whole
(:data:`ID_PATTERN`). Neither admits ``/``, a backslash, NUL or white space, so a valid name is one path segment.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from lake.exceptions import InvalidNameError, PathEscapeError

__all__ = [
    "AOI_NAME_PATTERN",
    "AOI_NAME_RULE",
    "ID_PATTERN",
    "check_aoi_name",
    "check_id",
    "check_under",
    "join_under",
]

#: AOI names: the same pattern in the CLI, the lake and the forward DAG's trigger form.
AOI_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
#: :data:`AOI_NAME_PATTERN` in words, for messages and forms
AOI_NAME_RULE = "1-63 lower-case letters, digits, '_' or '-', starting with a letter or digit"
#: Product, acquisition and run ids (Airflow run ids such as ``manual__2024-01-01T00:00:00+00:00`` fit).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,254}$"

_AOI = re.compile(AOI_NAME_PATTERN)
_ID = re.compile(ID_PATTERN)


def check_aoi_name(name: object, what: str = "AOI name") -> str:
    """Return ``name`` if it is a valid AOI name.

    Args:
        name: the candidate.
        what: how the message names it (e.g. ``"--aoi"``).

    Returns:
        The name, unchanged.

    Raises:
        InvalidNameError: not a string matching :data:`AOI_NAME_PATTERN`.
    """
    if not isinstance(name, str) or not _AOI.fullmatch(name):
        hint = f" (try {name.lower()!r})" if isinstance(name, str) and _AOI.fullmatch(name.lower()) else ""
        raise InvalidNameError(
            f"{what} {name!r} is not valid: use {AOI_NAME_RULE}{hint}"
        )
    return name


def check_id(value: object, what: str = "id") -> str:
    """Return ``value`` if it is a valid product, acquisition or run id (one safe path segment).

    Args:
        value: the candidate.
        what: how the message names it (e.g. ``"product id"``).

    Returns:
        The id, unchanged.

    Raises:
        InvalidNameError: not a string matching :data:`ID_PATTERN`, or only dots.
    """
    if not isinstance(value, str) or not _ID.fullmatch(value) or set(value) == {"."}:
        raise InvalidNameError(
            f"{what} {value!r} is not valid: use 1-255 letters, digits or '._:+-', starting with a letter "
            "or digit (no '/', spaces or '..')"
        )
    return value


def check_under(path: str | Path, root: str | Path, what: str = "path") -> str:
    """Return ``path`` if it lies under ``root`` (after resolving ``..`` and, locally, symbolic links).

    Works for local paths, ``file://`` and ``s3://`` URIs (an ``s3://`` path must share the root's bucket and
    key prefix).

    Args:
        path: the computed path.
        root: the folder or prefix it must stay under.
        what: how the message names it.

    Returns:
        ``path`` as given.

    Raises:
        PathEscapeError: the path resolves outside the root.
    """
    p, r = str(path), str(root)
    if r.startswith(("s3://", "s3a://")) or p.startswith(("s3://", "s3a://")):
        inside = _s3_norm(p).startswith(_s3_norm(r).rstrip("/") + "/")
    else:
        rp = Path(r.removeprefix("file://")).expanduser().resolve()
        pp = Path(p.removeprefix("file://")).expanduser().resolve()
        inside = pp == rp or rp in pp.parents
    if not inside:
        raise PathEscapeError(f"{what} {p} is outside its root {r}; names must not contain '/' or '..'")
    return p


def _s3_norm(uri: str) -> str:
    scheme, _, rest = uri.partition("://")
    bucket, _, key = rest.partition("/")
    normal = posixpath.normpath("/" + key) if key else "/"
    return f"s3://{bucket}{normal}"


def join_under(root: str, *names: str, what: str = "path") -> str:
    """Join ``names`` under ``root`` with ``/`` and check the result stays under ``root``.

    Args:
        root: folder or ``s3://`` prefix.
        *names: path segments (already checked with :func:`check_aoi_name` / :func:`check_id`).
        what: how an error message names the result.

    Returns:
        The joined path.

    Raises:
        PathEscapeError: a segment is empty, or the result resolves outside ``root``.
    """
    for name in names:
        if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
            raise PathEscapeError(f"{what}: {name!r} is not a single path segment under {root}")
    joined = "/".join([root.rstrip("/"), *names])
    return check_under(joined, root, what)
