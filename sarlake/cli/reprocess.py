"""``sarlake reprocess``: re-make interferograms QA judged bad (or those named), here, with the installed PGE."""

from __future__ import annotations

import math

import click

from sarlake.cli.params import FiniteFloatRange

__all__ = ["reprocess"]


def _score(value: float | None) -> str:
    return "unscored" if value is None or math.isnan(value) else f"{value:.3f}"


@click.command()
@click.argument("product_ids", nargs=-1, metavar="[ID...]")
@click.option("--max-p-error", type=FiniteFloatRange(0, 1), default=None, show_default="SARLAKE_QA_MAX_P_ERROR, 0.5",
              help="Without IDs: reprocess the interferograms whose p(error) is above this.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True,
              help="At most this many interferograms, worst first.")
@click.option("--max-attempts", type=click.IntRange(1, 6), default=None,
              show_default="SARLAKE_QA_REPROCESS_ATTEMPTS, 2",
              help="Make one interferogram again at most this many times in all.")
def reprocess(product_ids: tuple[str, ...], max_p_error: float | None, limit: int, max_attempts: int | None) -> None:
    """Re-make bad interferograms with other parameters, score them again, keep every version.

    Each is made again by the PGE that made it, from the inputs its provenance names (two SLCs, or another
    processor's wrapped interferogram that `sarlake unwrap` unwrapped), with the other unwrapper (after tiled
    SNAPHU: SNAPHU in one tile) and a stronger filter, catalogued, scored with the champion (an original without
    a score too), and every version goes to product_lineage; the best-scored one is the default, which time
    series use. A product whose default stays above the threshold is taken again, from its last version, up to
    --max-attempts times (SARLAKE_QA_REPROCESS_ATTEMPTS, default 2). Named IDs are reprocessed whatever their
    p(error); one made again that often already is skipped, with a warning; one ingested unwrapped from another
    processor's files is refused (exit 2): there is nothing here to make it again from. The reprocess DAG does the
    same with any registered PGE version; this runs the installed one.
    """
    from sarlake.workflows.pge import manual_run_id
    from sarlake.workflows.reprocess import reprocess_bad_products

    run_id = manual_run_id("reprocess")
    records = reprocess_bad_products(max_p_error, limit, run_id, list(product_ids) or None, max_attempts)
    for r in records:
        again = f", attempt {r['attempt']}" if r["attempt"] > 1 else ""
        click.echo(f"{r['original']} (p(error) {_score(r['p_error_original'])}) -> {r['reprocessed']} "
                   f"(p(error) {_score(r['p_error_reprocessed'])}{again}); default: {r['default']}")
    if not records and not product_ids:
        click.echo("nothing to reprocess: no interferogram above the p(error) threshold that was made again fewer "
                   "times than allowed (--max-p-error, SARLAKE_QA_MAX_P_ERROR; --max-attempts, "
                   "SARLAKE_QA_REPROCESS_ATTEMPTS)", err=True)
