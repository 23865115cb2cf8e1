"""``sarlake events``: earthquake feeds and the urgent-response evaluator."""

from __future__ import annotations

import json

import click

from sarlake.cli.errors import ErrorHandlingGroup

__all__ = ["events"]


@click.group(cls=ErrorHandlingGroup)
def events() -> None:
    """Earthquake event feeds (urgent response)."""


@events.command("evaluate")
@click.argument("feed")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line (id, decision, reason, AOI).")
def evaluate_cmd(feed: str, as_json: bool) -> None:
    """Print the urgent-response decision for every event of FEED; writes nothing.

    FEED is a USGS GeoJSON summary feed or FDSN event query output (GeoJSON or format=text): a path or a
    URL. The rules are the defaults (M >= 7; or M >= 6 with PAGER yellow or worse; or PAGER red; depth
    <= 70 km) overridden by SARLAKE_URGENT__RULES.
    """
    from sarlake.events import evaluate, read_feed
    from sarlake.workflows.urgent import rules_from_settings

    rules = rules_from_settings()
    for event in read_feed(feed):
        decision = evaluate(event, rules)
        if as_json:
            click.echo(json.dumps(decision.to_dict()))
        else:
            click.echo(f"{decision.event_id}\t{decision.decision}\t{decision.reason}")
