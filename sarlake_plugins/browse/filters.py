"""The browse query: facet selections, date ranges, region, sort and page, validated before any SQL is built.

Every value a user sends ends up as a bound parameter; nothing here is pasted into SQL. Validation still
refuses what cannot be meant (malformed dates, unknown facet values, SQL-like text) with a message the page
shows, so a typo is explained instead of silently matching nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date

__all__ = ["BINS", "CATEGORICAL", "FACETS", "NONE", "SORTS", "TIERS", "FilterError", "Query", "parse_query"]

#: a categorical facet's value for the products that have none (no track, no event): listed, so selectable
NONE = "(none)"

logger = logging.getLogger(__name__)


class FilterError(ValueError):
    """A filter value the browse API refuses (HTTP 422); the message names the parameter and what is valid."""


#: categorical facets: parameter -> SQL column of the ``browse`` relation
CATEGORICAL: dict[str, str] = {
    "aoi": "aoi",
    "track": "track",
    "direction": "direction",
    "product_type": "product_type",
    "status": "status",
    "pge_version": "pge_version",
    "predicted_uwe": "predicted_uwe",
    "tier": "tier",
    "event": "event",
}

#: storage tiers as the browse UI names them (products.tier: null or hot, archive, cached)
TIERS: tuple[str, ...] = ("hot", "archived", "restored")

#: the QA facets' value of a product QA does not score (a time series, a coherence stack): only L2_IFG is scored,
#: so "unscored" would say it awaits a score
NOT_SCORED_TYPE = "not an interferogram"
#: the first branch of both QA facets' CASE: a product QA does not score
NOT_SCORED_WHEN = f"WHEN product_type <> 'L2_IFG' THEN '{NOT_SCORED_TYPE}'"

#: binned facets: parameter -> (SQL expression of the bin label, labels in display order). Constant SQL.
BINS: dict[str, tuple[str, tuple[str, ...]]] = {
    "baseline": (
        "CASE WHEN temporal_baseline_days IS NULL THEN 'unknown' WHEN temporal_baseline_days < 12 THEN '0-11 d' "
        "WHEN temporal_baseline_days < 24 THEN '12-23 d' WHEN temporal_baseline_days < 48 THEN '24-47 d' "
        "WHEN temporal_baseline_days < 96 THEN '48-95 d' ELSE '96+ d' END",
        ("0-11 d", "12-23 d", "24-47 d", "48-95 d", "96+ d", "unknown"),
    ),
    "coherence": (
        "CASE WHEN coherence_mean IS NULL THEN 'unknown' WHEN coherence_mean < 0.2 THEN '0.0-0.2' "
        "WHEN coherence_mean < 0.4 THEN '0.2-0.4' WHEN coherence_mean < 0.6 THEN '0.4-0.6' "
        "WHEN coherence_mean < 0.8 THEN '0.6-0.8' ELSE '0.8-1.0' END",
        ("0.0-0.2", "0.2-0.4", "0.4-0.6", "0.6-0.8", "0.8-1.0", "unknown"),
    ),
    "p_error": (
        f"CASE {NOT_SCORED_WHEN} WHEN p_error IS NULL THEN 'unscored' "
        "WHEN p_error < 0.1 THEN '0.0-0.1' WHEN p_error < 0.3 THEN '0.1-0.3' WHEN p_error < 0.5 THEN '0.3-0.5' "
        "WHEN p_error < 0.7 THEN '0.5-0.7' WHEN p_error < 0.9 THEN '0.7-0.9' ELSE '0.9-1.0' END",
        ("0.0-0.1", "0.1-0.3", "0.3-0.5", "0.5-0.7", "0.7-0.9", "0.9-1.0", "unscored", NOT_SCORED_TYPE),
    ),
    "reference_year": ("CAST(year(reference_date) AS VARCHAR)", ()),
}

#: every facet, in display order; ``tag`` is the consensus tags (a list per product)
FACETS: tuple[str, ...] = (*CATEGORICAL, "tag", *BINS)

#: sort keys a page may ask for -> SQL column
SORTS: dict[str, str] = {k: k for k in (
    "reference_date", "secondary_date", "p_error", "coherence_mean", "temporal_baseline_days", "track", "aoi",
    "product_id", "predicted_uwe")}

_SQLISH = re.compile(r"('|\"|;|--|/\*|\*/|\b(select|union|insert|update|delete|drop|or|and)\b\s)", re.I)
_TEXT = re.compile(r"^[A-Za-z0-9 _.:+@/-]{1,128}$")
_TAG = re.compile(r"^[A-Z]{3}_[0-3]$")
MAX_PAGE_SIZE = 200


@dataclass
class Query:
    """A validated browse query."""

    selected: dict[str, list[str]] = field(default_factory=dict)  #: facet -> selected values (OR within a facet)
    ref_from: date | None = None
    ref_to: date | None = None
    sec_from: date | None = None
    sec_to: date | None = None
    text: str | None = None  #: product id substring
    region: tuple[float, float, float, float] | None = None  #: west, south, east, north of a drawn polygon
    region_wkt: str | None = None
    sort: str = "reference_date"
    descending: bool = True
    page: int = 1
    page_size: int = 24


def _text(name: str, value: str) -> str:
    value = value.strip()
    if _SQLISH.search(value):
        raise FilterError(f"{name}={value!r} looks like SQL; filters take plain values (bound as parameters, "
                          "never run): pick a value from the facet list")
    if not _TEXT.match(value):
        raise FilterError(f"{name}={value!r} has characters a {name} never has (letters, digits, space and "
                          "_ . : + @ / - only, at most 128)")
    return value


def _date(name: str, value: str | None) -> date | None:
    if value is None or value == "":
        return None
    _text(name, value)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name}={value!r} is not a date: use YYYY-MM-DD, e.g. 2024-03-01") from None


def _int(name: str, value: str | None, default: int, lo: int, hi: int) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise FilterError(f"{name}={value!r} is not a whole number") from None
    if not lo <= n <= hi:
        raise FilterError(f"{name}={n} is out of range: {lo}..{hi}")
    return n


def parse_query(params: list[tuple[str, str]]) -> Query:
    """Build a :class:`Query` from URL parameters (repeat a facet parameter to select several values).

    Raises:
        FilterError: an unknown parameter, a malformed date, SQL-like text, a bad tag, sort or page, a region
            that is not a polygon.
    """
    from sarlake_plugins.browse.geo import parse_region

    q = Query()
    single: dict[str, str] = {}
    for key, value in params:
        if key in FACETS:
            q.selected.setdefault(key, []).append(NONE if value.strip() == NONE else _text(key, value))
        elif key in ("ref_from", "ref_to", "sec_from", "sec_to", "q", "region", "sort", "order", "page",
                     "page_size"):
            single[key] = value
        else:
            raise FilterError(f"unknown parameter {key!r}: use one of {', '.join((*FACETS, 'ref_from', 'ref_to', 'sec_from', 'sec_to', 'q', 'region', 'sort', 'order', 'page', 'page_size'))}")  # noqa: E501
    for tag in q.selected.get("tag", []):
        if not _TAG.match(tag):
            from lake.tags import TagError, parse_tag

            try:
                parse_tag(tag)
            except TagError as exc:
                raise FilterError(f"tag: {exc}") from None
    for v in q.selected.get("tier", []):
        if v not in TIERS:
            raise FilterError(f"tier={v!r} is not a storage tier: use one of {', '.join(TIERS)}")
    for name, (_, labels) in BINS.items():
        for v in q.selected.get(name, []):
            if labels and v not in labels:
                raise FilterError(f"{name}={v!r} is not a bin: use one of {', '.join(labels)}")
    q.ref_from, q.ref_to = _date("ref_from", single.get("ref_from")), _date("ref_to", single.get("ref_to"))
    q.sec_from, q.sec_to = _date("sec_from", single.get("sec_from")), _date("sec_to", single.get("sec_to"))
    for lo, hi, what in ((q.ref_from, q.ref_to, "reference"), (q.sec_from, q.sec_to, "secondary")):
        if lo and hi and lo > hi:
            raise FilterError(f"the {what} date range is empty: {lo} is after {hi}")
    if single.get("q"):
        q.text = _text("q", single["q"])
    if single.get("region"):
        q.region, q.region_wkt = parse_region(single["region"])
    sort = single.get("sort") or q.sort
    if sort not in SORTS:
        raise FilterError(f"sort={sort!r} is not sortable: use one of {', '.join(SORTS)}")
    q.sort = sort
    order = single.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise FilterError(f"order={order!r}: use asc or desc")
    q.descending = order == "desc"
    q.page = _int("page", single.get("page"), 1, 1, 100_000)
    q.page_size = _int("page_size", single.get("page_size"), 24, 1, MAX_PAGE_SIZE)
    return q
