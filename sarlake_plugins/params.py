"""Patterns the DAGs' trigger forms share, so a form and the lake accept the same names.

Parse-light: it only reads string constants from :mod:`lake.names` (which imports nothing heavy).
"""

from __future__ import annotations

from lake.names import AOI_NAME_PATTERN

__all__ = ["AOI_NAME_PATTERN", "OPTIONAL_AOI_PATTERN", "PGE_VERSION_PATTERN"]

#: an AOI name, or empty (the on-demand form takes an AOI or a bbox)
OPTIONAL_AOI_PATTERN = f"^({AOI_NAME_PATTERN.removeprefix('^').removesuffix('$')})?$"
#: a registered PGE version, or ``latest``
PGE_VERSION_PATTERN = r"^(latest|\d+\.\d+\.\d+)$"
