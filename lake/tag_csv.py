"""Tags from a CSV file (``sarlake tag import``), as spreadsheets and scripts write them.

Columns ``product_id,tag[,user][,comment][,source]``, in any order and letter case; commas, semicolons (what
spreadsheets write where the comma is the decimal sign) or tabs between them, read from the header line; a
byte-order mark is no column. A quoted comment may hold line breaks: they are kept, and a row is named by the line
it starts on.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lake.csv_text import csv_rows
from lake.tags import Tag, TagError, UnknownTagError, tag_rule

__all__ = ["read_tags_csv"]

_COLUMNS = "product_id and tag (and optionally user, comment, source)"
#: Bad rows named one by one in an error; the rest are counted.
SHOWN_ERRORS = 20


def read_tags_csv(path: str | Path, default_user: str | None = None) -> list[Tag]:
    """Read tags from a CSV with columns ``product_id,tag[,user][,comment][,source]``.

    Args:
        path: the CSV file (header row required).
        default_user: user for rows without a ``user`` column or value.

    Raises:
        TagError: a missing column, bad tags or users; the message names the file and the line of every bad
            row (the first :data:`SHOWN_ERRORS` of them), so that one run finds them all.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TagError(f"cannot read tag file {p}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise TagError(f"tag file {p} is not a UTF-8 CSV text file") from exc
    header, rows = csv_rows(text, ",;\t")
    if not {"product_id", "tag"} <= set(header):
        raise TagError(f"{p}: the header must name the columns {_COLUMNS}; found "
                       f"{', '.join(h for h in header if h) or 'no header'}")
    tags, bad = [], []
    for (line, _), fields in rows:
        row = dict(zip(header, fields, strict=False))
        user = (row.get("user") or "").strip() or default_user
        if not user:
            bad.append((line, TagError("no user (add a user column or pass --user)")))
            continue
        try:
            tags.append(replace(Tag.of(row.get("product_id") or "", row.get("tag") or "", user, row.get("comment"),
                                       (row.get("source") or "human").strip()), origin=(str(p), line)))
        except TagError as exc:
            bad.append((line, exc))
    if bad:
        raise _bad_rows(p, bad)
    return tags


def _bad_rows(p: Path, bad: list[tuple[int, TagError]]) -> TagError:
    """One error, on one line, for every bad row: ``FILE line N: why``, or a count and ``line N: why; ...``."""
    if len(bad) == 1:
        line, exc = bad[0]
        return TagError(f"{p} line {line}: {exc}")
    rows = [f"line {line}: {exc.brief if isinstance(exc, UnknownTagError) else exc}"
            for line, exc in bad[:SHOWN_ERRORS]]
    if len(bad) > SHOWN_ERRORS:
        rows.append(f"and {len(bad) - SHOWN_ERRORS} more")
    if any(isinstance(exc, UnknownTagError) for _, exc in bad):
        rows.append(tag_rule())
    return TagError(f"{p}: {len(bad)} rows are not valid tags, so none was imported: {'; '.join(rows)}")
