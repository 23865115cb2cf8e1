"""``sarlake archive``: roll products to the DAAC archive, bring them back, see where deliveries stand."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import click

from sarlake.cli.errors import ErrorHandlingGroup
from sarlake.cli.params import FiniteFloatRange

__all__ = ["archive"]

_STEPS = ("select", "copy", "verify", "notify", "receive", "catalogue", "expire")


@click.group(cls=ErrorHandlingGroup)
def archive() -> None:
    """Deliver old products to the DAAC archive (CNM) and cache them back on request."""


@archive.command("roll")
@click.option("--step", "steps", multiple=True, type=click.Choice(_STEPS),
              help="Run only these steps (default: all, in order).")
def roll(steps: tuple[str, ...]) -> None:
    """Run the archive roll once: select, copy, verify, notify, receive, catalogue, expire."""
    from lake.archive_roll import ROLL_STEPS, run_roll, run_step

    # The whole roll in this process reads the transfers' states once (run_roll); chosen steps read them each.
    reports = run_roll() if not steps else {s: run_step(s) for s in ROLL_STEPS if s in steps}
    for step, r in reports.items():
        click.echo(f"{step:<10} moved {r.moved:>5}  failed {r.failed:>4}  notes {r.notes:>4}")


@archive.command("restore")
@click.argument("products", nargs=-1, required=True)
@click.option("--ttl-days", type=FiniteFloatRange(min=0, min_open=True), default=None,
              help="Days the products stay hot [default: SARLAKE_DAAC__CACHE_TTL_DAYS].")
def restore(products: tuple[str, ...], ttl_days: float | None) -> None:
    """Bring archived PRODUCTS back to the hot lake for a time to live."""
    from lake.archive_cache import restore as do_restore

    result = do_restore(list(products), timedelta(days=ttl_days) if ttl_days else None)
    for pid in result.done:
        click.echo(f"restored {pid}")
    for pid, why in result.skipped.items():
        click.echo(f"skipped {pid}: {why}", err=True)
    if any("sha256" in why or "rror" in why for why in result.skipped.values()):
        raise SystemExit(1)


@archive.command("retrieve")
@click.argument("product")
@click.option("--to", "dest", required=True, type=click.Path(file_okay=False),
              help="Folder to copy into; the files go to <folder>/<archive folder of the version>/.")
@click.option("--version", default=None, help="Version to copy [default: the newest the DAAC acknowledged].")
def retrieve(product: str, dest: str, version: str | None) -> None:
    """Copy one delivered version of PRODUCT out of the archive, each file checked against the DAAC's sha256.

    Any version the DAAC keeps can be copied, a removed product's too; the catalogue is not changed (`archive
    restore` makes the catalogued version hot again).
    """
    from lake.archive_retrieve import ArchiveIntegrityError
    from lake.archive_retrieve import retrieve as do_retrieve

    try:
        got = do_retrieve(product, dest, version)
    except ArchiveIntegrityError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"retrieved {got.product_id} version {got.version}: {len(got.files)} file(s), {got.bytes} bytes, "
               f"sha256 as acknowledged, in {got.folder}")


@archive.command("expire-cache")
def expire_cache() -> None:
    """Remove cached copies whose time to live has passed (the archive copy stays)."""
    from lake.archive_cache import expire_cache as do_expire

    result = do_expire()
    click.echo(f"evicted {len(result.done)} cached product(s)")


@archive.command("status")
@click.argument("products", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(products: tuple[str, ...], as_json: bool) -> None:
    """Count transfers by their latest step; list failures with their reasons.

    With PRODUCTS, list every delivery attempt of those products instead: version, latest step, archive folder.
    """
    from lake.archive_transfers import latest_transfers

    if products:
        _attempts(products, as_json)
        return
    transfers = latest_transfers()
    counts: dict[str, int] = {}
    for t in transfers.values():
        counts[t.step] = counts.get(t.step, 0) + 1
    failed = [{"transfer": t.transfer_id, "step": t.failed_step, "reason": t.reason, "error_code": t.error_code,
               "next_attempt_at": t.next_attempt_at.isoformat() if t.next_attempt_at else None}
              for t in transfers.values() if t.step == "failed"]
    waiting = _waiting([t for t in transfers.values() if t.step == "notified"])
    if as_json:
        click.echo(json.dumps({"counts": counts, "failed": failed, "waiting_for_daac": waiting}, indent=2))
        return
    if not counts:
        from lake.settings import get_settings

        days = get_settings().daac.hot_retention_days
        click.echo(f"no delivery yet: products catalogued more than {days:g} days ago "
                   "(SARLAKE_DAAC__HOT_RETENTION_DAYS; not the acquisition dates) go to the DAAC with the daily "
                   "archive_roll DAG or `sarlake archive roll`")
    for step, n in sorted(counts.items()):
        note = ""
        if step == "notified" and waiting["oldest_sent_at"]:
            note = f"  waiting for the DAAC's answer (CNM-R); the oldest sent {waiting['oldest_hours']:.1f} h ago"
        click.echo(f"{step:<14}{n:>6}{note}")
    for late in waiting["unanswered"]:
        click.echo(f"unanswered {late['transfer']}: {late['reason']}")
    for f in failed:
        click.echo(f"failed {f['transfer']} at {f['step']}: {f['reason']}")


def _waiting(notified: list[Any]) -> dict[str, Any]:
    """Deliveries whose CNM-S the DAAC has not answered yet: the oldest, and those past the answer wait."""
    from datetime import UTC, datetime

    from lake.archive_verify import unanswered
    from lake.settings import get_settings

    settings, now = get_settings(), datetime.now(UTC)
    oldest = min((t.recorded_at for t in notified if t.recorded_at is not None), default=None)
    late = [{"transfer": t.transfer_id, "reason": why} for t in notified if (why := unanswered(t, settings, now))]
    return {"count": len(notified), "oldest_sent_at": oldest.isoformat() if oldest else None,
            "oldest_hours": round((now - oldest).total_seconds() / 3600, 2) if oldest else None,
            "answer_wait_hours": settings.daac.answer_wait_hours, "unanswered": late}


def _attempts(products: tuple[str, ...], as_json: bool) -> None:
    """Each delivery attempt of ``products`` at its latest step, oldest first; a product with none is named."""
    from lake.query import connect
    from sarlake.workflows.product_listing import deliveries

    con = connect(catalogue=False)
    try:
        rows = [{"product": p, **d} for p in dict.fromkeys(products) for d in deliveries(con, p)]
    finally:
        con.close()
    missing = [p for p in dict.fromkeys(products) if p not in {r["product"] for r in rows}]
    if as_json:
        click.echo(json.dumps({"attempts": rows, "never_delivered": missing}, indent=2))
        return
    for r in rows:
        why = f"  ({r['reason']})" if r["reason"] else ""
        if r["waiting"]:
            why = "  (sent; waiting for the DAAC's answer)"
        if r["replaced_by"]:
            why = f"  (replaced by version {r['replaced_by']} in the same archive folder)"
        click.echo(f"{r['transfer_id']}  version {r['version']}  {r['step']:<12}  {r['recorded_at']}  "
                   f"{r['archive_folder']}{why}")
    for p in missing:
        click.echo(f"{p}: no delivery attempt (not yet selected by the roll, or not a product id)")


@archive.command("simulate-daac")
@click.option("--state", type=click.Path(file_okay=False), default=None,
              help="Folder of the simulated DAAC's ledger [default: <home>/daac/simulator].")
@click.option("--fail-rate", type=FiniteFloatRange(0, 1), default=0.0, show_default=True,
              help="Share of deliveries refused with PROCESSING_ERROR.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the refusals.")
def simulate_daac(state: str | None, fail_rate: float, seed: int) -> None:
    """Answer the CNM-S messages in the outbox with CNM-R in the inbox, like a DAAC (folder transport)."""
    from lake.settings import get_settings
    from sarlake.workflows.daac_simulator import SimulatedDaac

    settings = get_settings()
    daac = SimulatedDaac(state or settings.home / "daac" / "simulator", settings, fail_rate=fail_rate, seed=seed)
    answer = daac.serve_folder()
    click.echo(f"answered {answer.success} SUCCESS, {answer.failure} FAILURE {answer.codes or ''}".rstrip())


@archive.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--no-checksums", is_flag=True, help="Check sizes only (faster on a big archive).")
def verify(as_json: bool, no_checksums: bool) -> None:
    """Compare archived products, deliveries and the archive's files; exit 0 only when consistent."""
    import dataclasses

    from lake.archive_verify import verify_archive

    findings = verify_archive(checksums=not no_checksums)
    if as_json:
        click.echo(json.dumps({"consistent": not findings,
                               "findings": [dataclasses.asdict(f) for f in findings]}, indent=2))
    else:
        for f in findings:
            click.echo(f"{f.kind:<28} {f.product_id or '-':<40} {f.path or ''}: {f.detail}")
        click.echo("archive tier consistent" if not findings else f"{len(findings)} finding(s)")
    if findings:
        raise SystemExit(1)
