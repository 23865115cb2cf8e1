"""The ``unwrap`` PGE's choices: the formats it reads, and how a pair of dates is named.

The formats are its parameters' ``source_format``, the CLI's ``--format`` and the DAG form's *Format*; a pair is
its ``pairs``, the CLI's ``--pair`` and the form's *Pairs*. Apart from :mod:`pges.unwrap.config`, which imports
the interferogram PGE's parameters: ``sarlake unwrap --help`` and parsing the ``unwrap`` DAG import this alone.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["FORMATS", "PAIR_PATTERN", "UnwrapFormat"]

#: ``auto`` (by suffix and the header beside each file) or a reader of wrapped interferograms (``pges.readers``)
UnwrapFormat = Literal["auto", "geotiff", "roipac", "gamma", "isce2", "gmtsar", "mintpy", "snap"]
FORMATS: list[str] = list(get_args(UnwrapFormat))
#: a pair of dates, ``20061002_20060619`` (either order; a product id has the reference, then the secondary)
PAIR_PATTERN = r"^\d{8}_\d{8}$"
