"""Operator shortcuts: the DAG run an AOI or product page asks for, checked against the lake before it is sent.

From an AOI: ``forward`` (the daily forward DAG for that AOI alone) or ``on_demand`` (a date window for it);
from a product: ``reprocess`` (the ``reprocess`` DAG for exactly that interferogram) or ``restore`` (the
``archive_restore`` DAG, for an archived product). This module only *prepares* the request: the DAG id, the
trigger conf (each DAG's own params, so the run's ``check_conf`` accepts it) and the sentence the page asks the
operator to confirm. The page then posts it to Airflow's own REST API (``POST /api/v2/dags/{dag_id}/dagRuns``)
with the logged-in user's session: Airflow checks that user's permission and records them as the run's
triggering user, so the run is an ordinary DAG run, visible and auditable like any other.

Bad requests (unknown AOI or product, a product that is not archived, malformed dates) raise
:class:`ShortcutError` (HTTP 422) or :class:`~sarlake_plugins.browse.products.ProductNotFound` (404).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sarlake_plugins.params import PRODUCT_ID_PATTERN

__all__ = ["ACTIONS", "ShortcutError", "aoi_detail", "prepare", "product_actions"]

logger = logging.getLogger(__name__)

#: action -> (what it applies to, DAG id, button label)
ACTIONS: dict[str, tuple[str, str, str]] = {
    "forward": ("aoi", "forward", "Run forward processing for this AOI"),
    "on_demand": ("aoi", "on_demand", "Process a date window on demand"),
    "reprocess": ("product", "reprocess", "Request reprocessing"),
    "restore": ("product", "archive_restore", "Restore from the archive"),
}
#: default on-demand window: this many days up to today
ON_DEMAND_DAYS = 48
_ID = re.compile(PRODUCT_ID_PATTERN)


class ShortcutError(ValueError):
    """A shortcut the lake says cannot be run (HTTP 422); the message says why and what would work."""


class AoiNotFound(LookupError):
    """No AOI of that name (HTTP 404)."""


def _aoi(con: Any, name: str) -> dict[str, Any]:
    if not _ID.match(name):
        raise ShortcutError(f"aoi={name!r} is not an AOI name (letters, digits, '-' and '_')")
    cur = con.execute("SELECT name, west, south, east, north, active, tracks, pairing_neighbours, description "
                      "FROM aois WHERE name = ?", [name])
    rows = cur.fetchall()
    if not rows:
        raise AoiNotFound(f"AOI {name!r} is not in the lake (`sarlake aoi list` shows the AOIs)")
    return dict(zip([d[0] for d in cur.description], rows[0], strict=True))


def _date(name: str, value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ShortcutError(f"{name}={value!r} is not a date: use YYYY-MM-DD, e.g. 2024-03-01") from None


def prepare(con: Any, action: str, target: str, start_date: str | None = None,
            end_date: str | None = None, today: date | None = None) -> dict[str, Any]:
    """The DAG run an action asks for: ``{"action", "dag_id", "conf", "confirm", "note", "target"}``.

    Args:
        con: a DuckDB connection with the lake views.
        action: one of :data:`ACTIONS`.
        target: the AOI name or product id.
        start_date: first day of the on-demand window (default: ``ON_DEMAND_DAYS`` before ``end_date``).
        end_date: last day of the on-demand window (default: today).
        today: for tests; default today (UTC).

    Raises:
        ShortcutError: unknown action, malformed dates, a product that cannot be reprocessed or restored.
        AoiNotFound, ProductNotFound: unknown AOI or product.
    """
    from sarlake_plugins.browse.products import _product

    if action not in ACTIONS:
        raise ShortcutError(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    kind, dag_id, _label = ACTIONS[action]
    if kind == "aoi":
        aoi = _aoi(con, target)["name"]
        if action == "forward":
            conf: dict[str, Any] = {"aois": [aoi]}
            confirm = f"Trigger the forward DAG for AOI {aoi} (its latest acquisitions, paired and processed)?"
        else:
            end = _date("end_date", end_date, today or datetime.now(UTC).date())
            start = _date("start_date", start_date, end - timedelta(days=ON_DEMAND_DAYS))
            if start >= end:
                raise ShortcutError(f"the on-demand window is empty: start_date {start} is not before "
                                    f"end_date {end}")
            conf = {"aoi": aoi, "start_date": start.isoformat(), "end_date": end.isoformat()}
            confirm = f"Trigger on-demand processing of AOI {aoi} from {start} to {end}?"
        note = f"from the sarlake browse UI: {action} for AOI {aoi}"
    else:
        if not _ID.match(target):
            raise ShortcutError(f"product={target!r} is not a product id")
        p = _product(con, target)
        if action == "reprocess":
            from lake.settings import get_settings
            from sarlake.workflows.lineage import attempts_of
            from sarlake.workflows.reprocess_plan import check_requested

            try:  # the reprocess DAG's own refusals: not an interferogram, nothing here to make it again from
                check_requested(con, [target])
            except ValueError as exc:
                raise ShortcutError(str(exc).removeprefix("requested product ")) from None
            original, made = attempts_of(con, target)
            if made >= get_settings().qa_reprocess_attempts:
                of = "" if original == target else f" (as versions of {original})"
                raise ShortcutError(f"{target} has been reprocessed {made} time(s){of}, as often as "
                                    "SARLAKE_QA_REPROCESS_ATTEMPTS allows; see product_lineage")
            confirm = f"Reprocess {target} with another unwrapping and a stronger filter (reprocess DAG)?"
        else:
            tier = p.get("tier") or "hot"
            if tier != "archive":
                shown = {"cached": "restored (already in the hot lake)"}.get(tier, tier)
                raise ShortcutError(f"{target} is {shown}, not archived: nothing to restore")
            confirm = f"Restore {target} from the archive to the hot lake (archive_restore DAG)?"
        conf = {"product_ids": [target]}
        note = f"from the sarlake browse UI: {action} {target}"
    return {"action": action, "target": target, "dag_id": dag_id, "conf": conf, "confirm": confirm,
            "note": note, "label": ACTIONS[action][2]}


def product_actions(con: Any, product_id: str) -> list[dict[str, Any]]:
    """The product page's shortcuts: ``[{"action", "label", "available", "reason"}]``.

    ``available``: :func:`prepare` accepts the action for this product; if not, ``reason`` is its refusal (the
    page does not offer a shortcut the server would refuse).

    Raises:
        ProductNotFound: unknown product.
    """
    out = []
    for action, (kind, _dag_id, label) in ACTIONS.items():
        if kind != "product":
            continue
        try:
            prepare(con, action, product_id)
            reason = None
        except ShortcutError as exc:
            reason = str(exc)
        out.append({"action": action, "label": label, "available": reason is None, "reason": reason})
    return out


def aoi_detail(con: Any, name: str, today: date | None = None) -> dict[str, Any]:
    """An AOI page: the AOI, its products by type and tier, the event that made it, the shortcuts.

    Raises:
        AoiNotFound: no AOI of that name.
    """
    aoi = _aoi(con, name)
    aoi["tracks"] = list(aoi["tracks"] or [])
    counts = [{"product_type": t, "tier": tier, "count": n} for t, tier, n in con.execute(
        "SELECT product_type, CASE coalesce(tier, 'hot') WHEN 'archive' THEN 'archived' WHEN 'cached' THEN "
        "'restored' ELSE coalesce(tier, 'hot') END, count(*) FROM products WHERE aoi = ? GROUP BY ALL "
        "ORDER BY ALL", [name]).fetchall()]
    events = [{"event_id": e, "magnitude": m, "place": pl, "time": t.isoformat() if t else None}
              for e, m, pl, t in con.execute("SELECT event_id, magnitude, place, time FROM events WHERE aoi = ? "
                                             "ORDER BY time", [name]).fetchall()]
    return {"aoi": aoi, "products": counts, "events": events,
            "actions": [prepare(con, a, name, today=today) for a, (k, _, _) in ACTIONS.items() if k == "aoi"]}
