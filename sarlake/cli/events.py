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
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per line (id, decision, reason, AOI, time, magnitude, place).")
def evaluate_cmd(feed: str, as_json: bool) -> None:
    """Print the urgent-response decision for every event of FEED; writes nothing.

    One line per event, tab-separated: id, decision, reason, then the origin time (UTC), magnitude and place.

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
            what = {"time": event.time.isoformat(), "magnitude": event.magnitude, "place": event.place}
            click.echo(json.dumps(decision.to_dict() | what))
        else:
            magnitude = "M?" if event.magnitude is None else f"M{event.magnitude:g}"
            click.echo("\t".join([decision.event_id, decision.decision, decision.reason,
                                  event.time.strftime("%Y-%m-%d %H:%M UTC"), magnitude, event.place or ""]))
