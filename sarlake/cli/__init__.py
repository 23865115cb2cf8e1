"""``sarlake``: the command line of the system (lake, AOIs, PGEs, ingest, time series, ...).

Each command (or command group) lives in its own module of this package and is named in :data:`COMMANDS`;
modules load only when their command runs, so ``sarlake --help`` imports nothing heavy. To add one, write
``sarlake/cli/<topic>.py`` with a click command or group and add a line to :data:`COMMANDS`.

User errors print one line ``error: ...`` on stderr and exit with code 2.
"""

from __future__ import annotations

import importlib
import logging
import os
import warnings
from collections.abc import Sequence
from typing import Any

import click

from sarlake.cli.errors import ErrorHandlingGroup

__all__ = ["COMMANDS", "cli", "main"]

#: command name -> ``"module:attribute"`` of the click command or group, loaded on first use.
COMMANDS: dict[str, str] = {
    "init": "sarlake.cli.lake:init",
    "sql": "sarlake.cli.lake:sql",
    "tables": "sarlake.cli.lake:tables",
    "maintain": "sarlake.cli.lake:maintain",
    "aoi": "sarlake.cli.aoi:aoi",
    "pge": "sarlake.cli.pge:pge",
    "ingest": "sarlake.cli.ingest:ingest",
    "timeseries": "sarlake.cli.timeseries:timeseries",
    "events": "sarlake.cli.events:events",
    "pge-versions": "sarlake.cli.versions:pge_versions",
    "unwrap": "sarlake.cli.unwrap:unwrap",
    "products": "sarlake.cli.products:products",
    "dbt": "sarlake.cli.dbt:dbt",
    "sql-setup": "sarlake.cli.sql_setup:sql_setup",
    "lake": "sarlake.cli.integrity:lake",
    "archive": "sarlake.cli.archive:archive",
    "qa": "sarlake.cli.qa:qa",
    "tag": "sarlake.cli.tag:tag",
    "reprocess": "sarlake.cli.reprocess:reprocess",
}

#: one-line help per command, shown by ``sarlake --help`` without importing the command's module.
SUMMARIES: dict[str, str] = {
    "init": "Create the lake's namespace and tables (idempotent).",
    "sql": "Run read-only SQL over the lake tables.",
    "tables": "List the lake tables with their row counts.",
    "maintain": "Expire old snapshots and delete files no kept snapshot needs.",
    "aoi": "Areas of interest.",
    "pge": "Product generation executables.",
    "ingest": "Catalogue external interferograms as L2_IFG products.",
    "timeseries": "Make an L3 time series for an AOI from its good interferograms.",
    "events": "Earthquake feeds: evaluate them for urgent response.",
    "pge-versions": "Registry of PGE versions (code version, image, date) that can run again.",
    "unwrap": "Unwrap wrapped interferograms formed elsewhere and catalogue them.",
    "products": "Catalogued products (remove, with a provenance record; check their quality).",
    "dbt": "The analysts' catalogue: dbt models, tests and docs over the lake.",
    "sql-setup": "Print SQL that makes a plain DuckDB client see the lake.",
    "lake": "Checks of the whole lake (verify: catalogue against storage, --repair).",
    "archive": "Roll old products to the DAAC archive (CNM), restore them, show deliveries.",
    "qa": "QA: score interferograms (p(error|I)), train models, quality report.",
    "tag": "Quality tags on products (UWE_2, TNT_1, ...).",
    "reprocess": "Re-make bad interferograms with other parameters; keep every version.",
}


class LazyGroup(ErrorHandlingGroup):
    """Root group whose subcommands are imported only when invoked (fast ``--help``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUMMARIES.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def cli(verbose: bool) -> None:
    """sarlake: InSAR products lake (Iceberg tables, DuckDB SQL), PGEs and workflows."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not verbose:  # GDAL echoes, through rasterio, errors that the command reports itself in one line
        logging.getLogger("rasterio").setLevel(logging.CRITICAL)
        warnings.filterwarnings("ignore", module="rasterio")
        # MLflow sets up its own loggers at INFO when imported (later, lazily): "Creating initial MLflow database
        # tables..." before a one-line error. Its level is read from the environment (the PGEs this runs inherit it)
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")


def main(argv: Sequence[str] | None = None) -> Any:
    """Console-script entry point (``sarlake``)."""
    return cli.main(args=list(argv) if argv is not None else None, prog_name="sarlake")
