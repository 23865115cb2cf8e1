"""Names of settings: what a misspelt one was meant to be, and ``SARLAKE_*`` variables that set nothing.

A misspelt setting of a section (``SARLAKE_DAAC__HOT_RETENTION_DAY``) is refused, since each section forbids
unknown keys; the refusal now names the nearest setting and every setting of that section. A misspelt top-level
one (``SARLAKE_QA_MAX_P_EROR=0.3``) was silently ignored: the environment is shared with other programs, so it is
not refused, but each command warns once that it sets nothing, with the nearest name. :data:`NOT_SETTINGS` are
the variables sarlake's own scripts, CLI and benchmarks read that are no setting.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

__all__ = ["NOT_SETTINGS", "suggestion", "unknown_variables"]

#: ``SARLAKE_*`` variables read outside the settings (``SARLAKE_BENCH_*`` too): not warned about
NOT_SETTINGS = frozenset({
    "SARLAKE_CONFIG", "SARLAKE_PGE_IMAGE", "SARLAKE_USER", "SARLAKE_ROLL_FAILPOINT", "SARLAKE_REQUIRE_POSTGRES",
    "SARLAKE_LOG_LEVEL", "SARLAKE_BULK_SLOTS", "SARLAKE_AIRFLOW_DB",
})


def _section(root: type[BaseModel], path: list[str]) -> type[BaseModel] | None:
    """The model of the section at ``path`` under ``root`` (None when there is none)."""
    model: Any = root
    for part in path:
        field = model.model_fields.get(part)
        model = field.annotation if field is not None else None
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
    return model  # type: ignore[no-any-return]


def suggestion(root: type[BaseModel], loc: list[str]) -> str:
    """``; did you mean ...? the settings of <section>: ...`` for the unknown setting at ``loc``."""
    model = _section(root, loc[:-1])
    if model is None:
        return ""
    names = sorted(model.model_fields)
    env = "SARLAKE_" + "".join(f"{p.upper()}__" for p in loc[:-1])
    close = difflib.get_close_matches(loc[-1], names, n=1, cutoff=0.6)
    nearest = f"; did you mean {'.'.join([*loc[:-1], close[0]])} ({env}{close[0].upper()})?" if close else ";"
    section = ".".join(loc[:-1]) or "the top level"
    return f"{nearest} the settings of {section}: {', '.join(names)} (docs/configuration.md)"


def unknown_variables(root: type[BaseModel], environ: Mapping[str, str]) -> list[str]:
    """A warning for each ``SARLAKE_<NAME>`` of ``environ`` that is no top-level setting, naming the nearest.

    The settings of a known section (``SARLAKE_DAAC__*``) are checked by the settings themselves, which refuse
    unknown keys; a misspelt section (``SARLAKE_DAAK__ROOT``) is warned about here.
    """
    names = sorted(f"SARLAKE_{n.upper()}" for n in root.model_fields)
    out = []
    for var in sorted(environ):
        head, sep, rest = var.partition("__")  # SARLAKE_DAAK__ROOT: a section no setting has
        if not var.startswith("SARLAKE_") or head in names or var in NOT_SETTINGS or var.startswith("SARLAKE_BENCH_"):
            continue
        close = difflib.get_close_matches(head, names, n=1, cutoff=0.8)
        hint = f"did you mean {close[0]}{sep}{rest}?" if close else "see docs/configuration.md for the settings"
        out.append(f"{var} is no sarlake setting and is ignored: {hint}")
    return out
