"""Option types of the CLI that Click lacks: numbers that refuse NaN.

Click's ``FloatRange`` and ``float`` accept ``nan`` (every comparison with NaN is false, so no bound refuses
it), and a NaN threshold then disables what it bounds: ``--max-p-error nan`` kept every interferogram, as
``p_error < NaN`` is true in DuckDB. :class:`FiniteFloatRange` refuses it as an invalid value (exit 2), with
bounds or without (:data:`NUMBER`).
"""

from __future__ import annotations

import math
from typing import Any

import click

__all__ = ["NUMBER", "FiniteFloatRange"]


class FiniteFloatRange(click.FloatRange):
    """``click.FloatRange`` that refuses NaN, which passes every bound; with no bound, ``click.FLOAT`` that does.

    Infinities are left to the range (a side with no bound lets them through).
    """

    def __init__(self, min: float | None = None, max: float | None = None, min_open: bool = False,
                 max_open: bool = False, clamp: bool = False) -> None:
        super().__init__(min, max, min_open, max_open, clamp)
        if min is None and max is None:
            self.name = "float"  # named as click.FLOAT in help and errors ('x' is not a valid float)

    def _describe_range(self) -> str:
        """The range for help and errors; none (not ``x<=None``) without a bound."""
        return "" if self.min is None and self.max is None else super()._describe_range()

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The float within the range, or an invalid-value error (exit 2) for NaN."""
        out = super().convert(value, param, ctx)
        if isinstance(out, float) and math.isnan(out):
            bounds = self._describe_range()
            self.fail(f"NaN is not in the range {bounds}" if bounds else "NaN is not a number this option can use",
                      param, ctx)
        return out


#: a float that is not NaN (infinities are the command's to judge)
NUMBER = FiniteFloatRange()
