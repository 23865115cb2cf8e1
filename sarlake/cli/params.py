"""Option types of the CLI that Click lacks: numbers that refuse NaN.

Click's ``FloatRange`` and ``float`` accept ``nan`` (every comparison with NaN is false, so no bound refuses
it), and a NaN threshold then disables what it bounds: ``--max-p-error nan`` kept every interferogram, as
``p_error < NaN`` is true in DuckDB. These types refuse it as an invalid value (exit 2).
"""

from __future__ import annotations

import math
from typing import Any

import click

__all__ = ["NUMBER", "FiniteFloatRange", "NumberNotNaN"]


class NumberNotNaN(click.types.FloatParamType):
    """A float that is not NaN (infinities are left to the option's range)."""

    name = "float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The float, or an invalid-value error (exit 2) for NaN."""
        out = super().convert(value, param, ctx)
        if isinstance(out, float) and math.isnan(out):
            self.fail("NaN is not a number this option can use", param, ctx)
        return out


class FiniteFloatRange(click.FloatRange):
    """``click.FloatRange`` that refuses NaN, which passes every bound."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The float within the range, or an invalid-value error (exit 2) for NaN."""
        out = super().convert(value, param, ctx)
        if isinstance(out, float) and math.isnan(out):
            self.fail(f"NaN is not in the range {self._describe_range()}", param, ctx)
        return out


NUMBER = NumberNotNaN()
