"""Which interferograms a time series uses: usable ones, one version per pair, in one network of dates.

Usable: an L2 interferogram of the AOI whose QA p(error) is below the threshold (products not yet scored are
used) and, unless asked otherwise, not quarantined by the data-quality gate. A pair of dates made more than once
on a track (a reprocessed version kept beside the original in ``product_lineage``, a newer PGE version, the same
pair ingested from another processor) enters the series once, as the SBAS inversion takes each pair once: the
version ``product_lineage`` marks as the default, else the newest product version, else the lowest p(error),
else the latest catalogued. Of those, the pairs of the largest network of dates they connect.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["largest_network", "only_track", "select_interferograms", "series_tracks", "track_name", "usable_pairs",
           "why_too_few"]

log = logging.getLogger(__name__)

#: The usable interferograms of an AOI (parameters: aoi, max_p_error, include_quarantined), each ranked among
#: the versions of its pair on its track (``pair_rank`` 1 is the one a series uses).
_CANDIDATES = """
WITH lineage AS (SELECT product_id, bool_or(is_default) AS is_default FROM product_lineage GROUP BY product_id),
candidates AS (
    SELECT p.*, row_number() OVER (
        PARTITION BY p.track, coalesce(p.reference_date::VARCHAR || '/' || p.secondary_date::VARCHAR, p.product_id)
        ORDER BY CASE WHEN l.is_default THEN 0 WHEN l.is_default IS NULL THEN 1 ELSE 2 END,
                 list_transform(string_split(replace(coalesce(p.version, '0'), '_', '.'), '.'),
                                x -> TRY_CAST(x AS INTEGER)) DESC,
                 p.p_error ASC NULLS LAST, p.created_at DESC NULLS LAST, p.product_id) AS pair_rank
    FROM products p LEFT JOIN lineage l ON l.product_id = p.product_id
    WHERE p.product_type = 'L2_IFG' AND p.aoi = ? AND (p.p_error IS NULL OR p.p_error < ?)
      AND (? OR coalesce(p.status, '') <> 'quarantined')
)
"""
_USABLE = _CANDIDATES + "SELECT * FROM candidates WHERE pair_rank = 1"


def select_interferograms(aoi: str, max_p_error: float, include_quarantined: bool = False,
                          track: int | None = None) -> list[str]:
    """Return the met.json URIs of the AOI's usable L2 interferograms of ``track``, oldest pair first.

    Usable means a QA p(error) below ``max_p_error`` (products not yet scored are used) and, unless
    ``include_quarantined``, not quarantined by the data-quality gate; of those, one version of each pair of
    dates (the module's rule), and of those the pairs of the largest network of dates they connect
    (:func:`largest_network`; e.g. on-demand products of 2024 and forward ones of 2026 on one AOI share no date,
    and a series over both has no velocity anywhere).
    """
    return [uri for uri, _ in usable_pairs(aoi, max_p_error, include_quarantined, track)]


def series_tracks(aoi: str, max_p_error: float, include_quarantined: bool = False) -> dict[int | None, int]:
    """The tracks of the AOI's usable interferograms, each with its count (None: no track recorded)."""
    from lake.query import connect

    rows = connect(catalogue=False).execute(
        f"SELECT track, count(*) FROM ({_USABLE}) GROUP BY track ORDER BY track NULLS LAST",
        [aoi, max_p_error, include_quarantined]).fetchall()
    return {(None if t is None else int(t)): int(n) for t, n in rows}


def track_name(track: int | None) -> str:
    """How log lines and messages name a track (None: interferograms with no track recorded)."""
    return "no track recorded" if track is None else f"track {track}"


def usable_pairs(aoi: str, max_p_error: float, include_quarantined: bool,
                 track: int | None) -> list[tuple[str, str]]:
    """(met.json URI, product id) of ``track``'s usable interferograms, one version per pair, in one network.

    The largest connected network of dates; the versions and pairs left out are logged.
    """
    from lake.query import connect

    con = connect(catalogue=False)
    rows = con.execute(
        f"SELECT met_uri, product_id, reference_date, secondary_date FROM ({_USABLE}) "
        "WHERE track IS NOT DISTINCT FROM ? ORDER BY secondary_date, reference_date, product_id",
        [aoi, max_p_error, include_quarantined, track],
    ).fetchall()
    others = con.execute(
        f"{_CANDIDATES} SELECT c.product_id, k.product_id FROM candidates c JOIN candidates k ON k.pair_rank = 1 "
        "AND k.track IS NOT DISTINCT FROM c.track AND k.reference_date = c.reference_date "
        "AND k.secondary_date = c.secondary_date WHERE c.pair_rank > 1 AND c.track IS NOT DISTINCT FROM ? "
        "ORDER BY c.product_id", [aoi, max_p_error, include_quarantined, track]).fetchall()
    if others:
        log.info("AOI %s, %s: %d other version(s) of a pair left out: %s", aoi, track_name(track), len(others),
                 ", ".join(f"{o} (the series uses {k})" for o, k in others[:5]) + (" ..." if len(others) > 5 else ""))
    keep = set(largest_network([(r[2], r[3]) for r in rows]))
    if len(keep) < len(rows):
        left = [r[1] for i, r in enumerate(rows) if i not in keep]
        log.warning("AOI %s, %s: %d of %d usable interferograms share no date with the largest network of dates "
                    "and are left out (a series over networks that nothing ties has no velocity): %s", aoi,
                    track_name(track), len(left), len(rows), ", ".join(left[:5]) + (" ..." if len(left) > 5 else ""))
    return [(r[0], r[1]) for i, r in enumerate(rows) if i in keep]


def largest_network(pairs: list[tuple[Any, Any]]) -> list[int]:
    """Indices of the pairs ``(reference, secondary)`` in the largest connected network of dates.

    Largest by dates, then interferograms, then the latest date. A pair without both dates cannot be placed:
    then every pair is kept.
    """
    if any(a is None or b is None for a, b in pairs):
        return list(range(len(pairs)))
    parent: dict[Any, Any] = {}

    def root(d: Any) -> Any:
        parent.setdefault(d, d)
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[Any, list[int]] = {}
    for i, (a, _) in enumerate(pairs):
        groups.setdefault(root(a), []).append(i)
    best = max(groups.values(), default=[], key=lambda idx: (
        len({d for i in idx for d in pairs[i]}), len(idx), max(d for i in idx for d in pairs[i])))
    return sorted(best)


def why_too_few(aoi: str, max_p_error: float, include_quarantined: bool, track: int | None) -> str:
    """What left the track's interferograms out, and the option that lets them in; or how to make some."""
    from lake.query import connect

    [(total, risky, quarantined, pairs)] = connect(catalogue=False).execute(
        "SELECT count(*), count(*) FILTER (WHERE p_error >= ?), "
        "count(*) FILTER (WHERE coalesce(status, '') = 'quarantined' AND NOT ?), "
        "count(DISTINCT (least(reference_date, secondary_date), greatest(reference_date, secondary_date))) "
        "FROM products WHERE product_type = 'L2_IFG' AND aoi = ? AND track IS NOT DISTINCT FROM ?",
        [max_p_error, include_quarantined, aoi, track],
    ).fetchall()
    if not total:
        return "run the forward DAG or `sarlake ingest` first"
    out = []
    if risky:
        out.append(f"{risky} of its {total} left out by a QA p(error) of {max_p_error:g} or more: raise "
                   "--max-p-error (SARLAKE_QA_MAX_P_ERROR)")
    if quarantined:
        out.append(f"{quarantined} quarantined by the data-quality gate: --include-quarantined")
    if out:
        return "; ".join(out)
    if total > pairs and pairs < 2:  # versions of one pair (reprocessed, unwrapped again) count once
        return (f"its {total} interferograms are versions of {pairs} pair of dates, which counts once: make or "
                "ingest interferograms of other pairs")
    if total < 2:
        return "make or ingest interferograms of other pairs"
    return f"its {total} share no date: no two of them form a connected network"


def only_track(aoi: str, max_p_error: float, include_quarantined: bool) -> int | None:
    """The track of the AOI's usable interferograms; several are refused, each named with its count."""
    from pges.errors import InputValidationError

    tracks = series_tracks(aoi, max_p_error, include_quarantined)
    if len(tracks) > 1:
        raise InputValidationError(
            f"AOI {aoi!r} has usable interferograms of {len(tracks)} tracks ("
            + ", ".join(f"{track_name(t)}: {n}" for t, n in tracks.items())
            + "); a time series is of one viewing geometry: name one with --track (the timeseries DAG makes one "
            "per track)")
    return next(iter(tracks), None)


