"""``sarlake pge-versions``: the registry of PGE versions that can be run (again)."""

from __future__ import annotations

import click

from sarlake.cli.errors import ErrorHandlingGroup

__all__ = ["pge_versions"]


@click.group("pge-versions", cls=ErrorHandlingGroup)
def pge_versions() -> None:
    """PGE versions: name, version, code version, image, date."""


@pge_versions.command("register")
@click.argument("pge")
@click.argument("version", required=False)
@click.option("--image", help="Container image of the version, tag or digest (default: SARLAKE_K8S__IMAGE).")
@click.option("--code-version", help="Source revision it was built from (default: the version).")
@click.option("--description", help="What changed.")
def register_cmd(pge: str, version: str | None, image: str | None, code_version: str | None,
                 description: str | None) -> None:
    """Register VERSION of PGE (default: the installed version)."""
    from sarlake.workflows.versions import register

    row = register(pge, version, image=image, code_version=code_version, description=description)
    click.echo(f"{row['pge_name']} {row['version']}: image {row['image']}, code {row['code_version']}")


@pge_versions.command("list")
@click.argument("pge", required=False)
def list_cmd(pge: str | None) -> None:
    """List the registered versions of PGE (of every PGE without one), oldest first."""
    from sarlake.workflows.versions import installed_version, registered

    rows = registered(pge)
    for r in rows:
        mark = " (installed)" if r["version"] == installed_version() else ""
        name = "" if pge else f"{r['pge_name']:<14}"
        click.echo(f"{name}{r['version']:<10} {r['released']}  {r['image']}{mark}")
    if not rows:
        click.echo(f"(no registered version of {pge or 'any PGE'}; installed: {installed_version()}; "
                   "`sarlake pge-versions register PGE` registers it)")
