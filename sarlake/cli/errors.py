"""How the CLI reports user errors: one line on stderr, exit code 2 (never retried)."""

from __future__ import annotations

from typing import Any

import click

__all__ = ["ErrorHandlingGroup", "user_errors"]


def user_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean bad input or configuration (exit 2), not a processing failure."""
    from lake.exceptions import LakeError

    kinds: list[type[BaseException]] = [LakeError, FileNotFoundError, ValueError]
    try:
        from pges.errors import InputValidationError

        kinds.append(InputValidationError)
    except ImportError:  # pragma: no cover - the PGEs are part of the package
        pass
    return tuple(kinds)


class ErrorHandlingGroup(click.Group):
    """Click group that turns user errors into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; report a user error in one line and exit 2."""
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except user_errors() as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            click.echo(f"error: {message}", err=True)
            ctx.exit(2)
