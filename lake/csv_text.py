"""CSV text as spreadsheets and scripts write it: its header, and each row with the lines it spans.

Shared by ``sarlake tag import`` (:mod:`lake.tag_csv`) and ``sarlake qa score --manifest``. The text is read as
the file has it (``newline=""``): a quoted field may hold line breaks, so a row is named by the lines it starts
and ends on, blank lines counted. Decoding (``utf-8-sig``: a spreadsheet's byte-order mark is no column) and the
messages are the callers'.
"""

from __future__ import annotations

import csv
import io

__all__ = ["csv_rows"]


def csv_rows(text: str, delimiters: str = ",") -> tuple[list[str], list[tuple[tuple[int, int], list[str]]]]:
    """The header (names stripped, lower case) and every row that is not a blank line, with ``(first, last)`` line.

    Args:
        text: the file's text.
        delimiters: the candidates; the one the header line holds most of is used (the first on a tie).
    """
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=max(delimiters, key=first.count))
    header = [name.strip().lower() for name in next(reader, [])]
    rows = []
    last = reader.line_num
    for fields in reader:
        lines, last = (last + 1, reader.line_num), reader.line_num
        if fields:
            rows.append((lines, fields))
    return header, rows
