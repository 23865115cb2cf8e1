"""``sarlake pge``: run a product generation executable locally."""

from __future__ import annotations

import sys

import click

from sarlake.cli.errors import ErrorHandlingGroup

__all__ = ["pge"]


@click.group(cls=ErrorHandlingGroup)
def pge() -> None:
    """Product generation executables."""


@pge.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.option("--run-config", "run_config", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--result-file", type=click.Path(dir_okay=False), help="Where the PGE writes its result JSON.")
def pge_run(name: str, run_config: str, result_file: str | None) -> None:
    """Run a PGE locally (the same entry point as ``python -m pges``; exit 2 bad input, 1 failure)."""
    from pges.cli import main as pges_main

    argv = [name, "--run-config", run_config]
    if result_file:
        argv += ["--result-file", result_file]
    sys.exit(int(pges_main(argv) or 0))


@pge.command("list")
def pge_list() -> None:
    """List the PGEs."""
    from pges.registry import PGES

    for spec in PGES.values():
        click.echo(f"{spec.name:<16} {spec.summary}")
