"""``sarlake tag``: add, list and import quality tags (``UWE_2``, ``TNT_1``, ...) on products."""

from __future__ import annotations

import json
import os

import click

from sarlake.cli.errors import ErrorHandlingGroup

__all__ = ["tag"]


def _default_user() -> str | None:
    return os.environ.get("SARLAKE_USER") or os.environ.get("USER")


@click.group(cls=ErrorHandlingGroup)
def tag() -> None:
    """Quality tags on products (ARIA's 11 types at intensity 0-3, e.g. UWE_2)."""


@tag.command("add")
@click.argument("product_id")
@click.argument("tags", nargs=-1, required=True)
@click.option("--user", default=_default_user, show_default="$SARLAKE_USER or $USER", help="Who tags.")
@click.option("--comment", help="Free text.")
def tag_add(product_id: str, tags: tuple[str, ...], user: str | None, comment: str | None) -> None:
    """Tag PRODUCT_ID with one or more tags: `sarlake tag add S1-GUNW-... UWE_2 TNT_1`."""
    from lake.consensus import update_consensus
    from lake.tags import Tag, TagError, add_tags

    if not user:
        raise TagError("no user: pass --user NAME (or set SARLAKE_USER)")
    checked = [Tag.of(product_id, t, user, comment) for t in tags]
    add_tags(checked)
    types = {t.tag_type for t in checked}
    update_consensus({product_id}, tuple(sorted(types)))
    click.echo(f"{product_id}: {' '.join(t.label for t in checked)} by {user}")
    for row in _consensus(product_id):
        if row["tag_type"] in types:
            click.echo(f"  now {_consensus_line(row)}")


def _consensus(product_id: str) -> list[dict]:
    from lake.consensus import product_consensus

    return product_consensus(product_id.strip())


def _none_yet(product_id: str) -> None:
    click.echo(f"no tags on {product_id} yet (add one: sarlake tag add {product_id} UWE_0 --user NAME)", err=True)


def _consensus_line(row: dict) -> str:
    t = row["tag_type"]
    ds = "" if row["ds_intensity"] is None else (
        f", Dawid-Skene {t}_{row['ds_intensity']}" + (f" at p {row['ds_confidence']:.2f}"
                                                    if row["ds_confidence"] is not None else ""))
    return (f"{t}: {t}_{row['intensity']} from {row['raters']} rater(s), agreement {row['agreement']:.2f} "
            f"(majority {t}_{row['majority_intensity']}{ds})")


@tag.command("list")
@click.argument("product_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def tag_list(product_id: str | None, as_json: bool) -> None:
    """List the tags of PRODUCT_ID (or of every product)."""
    from lake.tags import list_tags

    rows = list_tags(product_id)
    if product_id and not rows and not as_json:
        _none_yet(product_id)
    for r in rows:
        if as_json:
            click.echo(json.dumps({k: r[k] for k in ("product_id", "tag", "user", "source", "comment")}
                                  | {"tagged_at": r["tagged_at"].isoformat() if r["tagged_at"] else None}))
        else:
            when = r["tagged_at"].strftime("%Y-%m-%d %H:%M") if r["tagged_at"] else ""
            comment = " / ".join((r["comment"] or "").splitlines())  # one line per tag (--json keeps the breaks)
            click.echo(f"{r['product_id']}  {r['tag']:<6} {r['user']:<16} {when}  {comment}".rstrip())


@tag.command("consensus")
@click.argument("product_id")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per tag type.")
def tag_consensus(product_id: str, as_json: bool) -> None:
    """The consensus of PRODUCT_ID's tags per tag type: the label, its raters and their agreement.

    The label is the majority vote when the raters agree, else Dawid-Skene's (each rater weighted by the
    confusion matrix of the last fit; `sarlake tag refit`).
    """
    rows = _consensus(product_id)
    if not rows and not as_json:
        _none_yet(product_id)
    for row in rows:
        if as_json:
            click.echo(json.dumps({k: row[k] for k in ("product_id", "tag_type", "intensity", "raters", "agreement",
                                                       "majority_intensity", "ds_intensity", "ds_confidence")}))
        else:
            click.echo(_consensus_line(row))


@tag.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False))
@click.option("--user", help="User for rows without a user column.")
def tag_import(csv_file: str, user: str | None) -> None:
    """Import many tags from a CSV (columns product_id,tag[,user][,comment][,source])."""
    from lake.consensus import refresh_consensus
    from lake.tag_csv import read_tags_csv
    from lake.tags import add_tags

    tags = read_tags_csv(csv_file, default_user=user)
    written = add_tags(tags)
    refresh_consensus(tag_types=tuple(sorted({t.tag_type for t in tags})))
    click.echo(f"{len(tags)} tags read from {csv_file}, {written} new or changed")


@tag.command("refit")
@click.option("--type", "tag_types", multiple=True, metavar="TYPE",
              help="Refit only this tag type (repeatable, e.g. --type UWE); default: every type.")
def tag_refit(tag_types: tuple[str, ...]) -> None:
    """Refit Dawid-Skene over every product: relabel all consensus rows and the raters' confusion matrices.

    `sarlake tag add` labels a product from the last fit's matrices; this refit (also run by `tag import`,
    by every labelled training set and by the weekly `maintenance` DAG) lets every tag move them.
    """
    from lake.consensus import refresh_consensus
    from lake.tags import TAG_TYPES, TagError

    unknown = sorted({t.upper() for t in tag_types} - set(TAG_TYPES))
    if unknown:
        raise TagError(f"unknown tag type {unknown[0]!r} in --type; valid types: {', '.join(TAG_TYPES)}")
    chosen = tuple(sorted({t.upper() for t in tag_types})) or None
    written = refresh_consensus(tag_types=chosen)
    click.echo(f"consensus refitted for {', '.join(chosen or tuple(TAG_TYPES))}: {written} rows new or changed")
