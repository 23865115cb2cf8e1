"""The formats the ``unwrap`` PGE reads: its parameters' ``source_format``, the CLI's ``--format``, the DAG form's.

Apart from :mod:`pges.unwrap.config`, which imports the interferogram PGE's parameters: ``sarlake unwrap --help``
and parsing the ``unwrap`` DAG import this alone.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["FORMATS", "UnwrapFormat"]

#: ``auto`` (by suffix and the header beside each file) or a reader of wrapped interferograms (``pges.readers``)
UnwrapFormat = Literal["auto", "geotiff", "roipac", "gamma", "isce2", "gmtsar", "mintpy", "snap"]
FORMATS: list[str] = list(get_args(UnwrapFormat))
