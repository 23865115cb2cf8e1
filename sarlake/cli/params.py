"""Option types Click lacks: numbers that refuse NaN, a point checked by its PGE's bounds, paths that may be ``s3://``.

Click's ``FloatRange`` and ``float`` accept ``nan`` (every comparison with NaN is false, so no bound refuses
it), and a NaN threshold then disables what it bounds: ``--max-p-error nan`` kept every interferogram, as
``p_error < NaN`` is true in DuckDB. :class:`FiniteFloatRange` refuses it as an invalid value (exit 2), with
bounds or without (:data:`NUMBER`).

:func:`lat_lon_of` checks ``--reference LAT LON`` against the PGE's own reference model when the command line is
read, so an error names the option the user typed, not the run-config key it becomes; what only the PGE can judge
(the point is on the globe but off the grid) :func:`options_of_parameters` reports as that option's too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import Any

import click

__all__ = ["LOS_SIGN", "NUMBER", "WAVELENGTH", "FiniteFloatRange", "PathOrS3", "lat_lon_of", "options_of_parameters"]


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


class PathOrS3(click.Path):
    """``click.Path`` that lets ``s3://`` URIs through as they are: whether one exists is the PGE's to say."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """An ``s3://`` URI unchanged; else the path, checked as ``click.Path`` does."""
        from pges.storage import is_s3

        if isinstance(value, str) and is_s3(value):
            return value
        return super().convert(value, param, ctx)


#: a float that is not NaN (infinities are the command's to judge)
NUMBER = FiniteFloatRange()

#: ``--wavelength`` of the commands that read other processors' files: a radar wavelength in metres (Ka band
#: ~8 mm .. P band ~70 cm)
WAVELENGTH = FiniteFloatRange(0.001, 1.0, min_open=True, max_open=True)

#: ``--los-sign`` of the commands that read other processors' files (``pges.readers.los_sign``)
LOS_SIGN = click.option(
    "--los-sign", type=click.Choice(["toward", "away"]),
    help="GeoTIFFs in mm, cm or m: a positive value is motion toward the satellite (HyP3, MintPy) or away from it "
         "(PyRate). Needed when the file does not say; overrides it when it does.")


def lat_lon_of(model: str, **fixed: Any) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback checking ``LAT LON`` against a PGE's reference model, ``"module:Class"``.

    The model validates ``{"lat": LAT, "lon": LON, **fixed}`` (imported only when the option is given); its
    bounds then speak for the option: ``Invalid value for '--reference': latitude 95.0: input should be ...``.
    """

    def check(ctx: click.Context, param: click.Parameter, value: tuple[float, float] | None) -> Any:
        if not value:
            return None
        from pydantic import ValidationError

        module, name = model.split(":")
        try:
            getattr(import_module(module), name).model_validate({"lat": value[0], "lon": value[1], **fixed})
        except ValidationError as exc:
            names: dict[tuple[int | str, ...], str] = {("lat",): "latitude", ("lon",): "longitude"}
            raise click.BadParameter("; ".join(f"{names.get(tuple(e['loc']), 'LAT LON')} {e['input']}: "
                                               f"{e['msg'].lower()}" for e in exc.errors()), ctx, param) from None
        return value

    return check


@contextmanager
def options_of_parameters(options: dict[str, str]) -> Iterator[None]:
    """Report a PGE's invalid input about a run-config parameter as the option that set it (exit 2, as Click does).

    ``options`` maps the parameter an ``InputValidationError`` names (its ``parameter``) to the option:
    ``{"reference": "--reference"}`` gives ``Invalid value for '--reference': reference point ... is outside the
    interferogram grid``. Other errors pass through as they are.
    """
    from pges.errors import InputValidationError

    try:
        yield
    except InputValidationError as exc:
        option = options.get(exc.parameter or "")
        if option is None:
            raise
        raise click.BadParameter(str(exc), param_hint=f"'{option}'") from exc
