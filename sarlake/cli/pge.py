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
@click.option("--catalogue/--no-catalogue", "catalogue", default=None,
              help="Catalogue the products in the lake (default: on for timeseries, whose L3 products are always "
                   "catalogued; off for the others).")
def pge_run(name: str, run_config: str, result_file: str | None, catalogue: bool | None) -> None:
    """Run a PGE locally (the same entry point as ``python -m pges``; exit 2 bad input, 1 failure)."""
    import json
    import tempfile
    from pathlib import Path

    from pges.cli import main as pges_main

    if catalogue is None:
        catalogue = name == "timeseries"
    tmp = None
    if catalogue and not result_file:
        tmp = tempfile.NamedTemporaryFile(prefix="pge-result-", suffix=".json", delete=False)
        result_file = tmp.name
    argv = [name, "--run-config", run_config]
    if result_file:
        argv += ["--result-file", result_file]
    code = int(pges_main(argv) or 0)
    if code == 0 and catalogue and result_file:
        from sarlake.workflows.timeseries import catalogue_timeseries

        result = json.loads(Path(result_file).read_text())
        for product_id in catalogue_timeseries([result], {"run_id": str(result.get("run_id") or ""),
                                                          "task_id": name, "runner": "local"}):
            click.echo(product_id)
    if tmp is not None:
        Path(tmp.name).unlink(missing_ok=True)
    sys.exit(code)


@pge.command("list")
def pge_list() -> None:
    """List the PGEs."""
    from pges.registry import PGES

    for spec in PGES.values():
        click.echo(f"{spec.name:<16} {spec.summary}")
