"""Connectivity of interferogram networks: dates are nodes, interferograms are edges.

SBAS inverts a connected network; a network in several components gets an unknown offset between them.
Used by the dbt mart ``mart_timeseries_readiness`` (a Python model: a recursive SQL closure grows with the
square of the dates per track, union-find here grows with the number of interferograms).
"""

from __future__ import annotations

from typing import Any

__all__ = ["readiness"]

#: grouping columns of a network
GROUP = ("aoi", "track", "direction")


def readiness(pairs: Any) -> Any:
    """Per AOI, track and direction: good interferograms, dates, network components, connected, ready.

    Args:
        pairs: a pyarrow table with ``aoi``, ``track``, ``direction``, ``secondary_date``, ``reference_date``
            (one row per good interferogram).

    Returns:
        A pyarrow table with one row per group: ``good_interferograms``, ``dates``, ``network_components``,
        ``network_connected``, ``first_date``, ``last_date`` and ``ready`` (connected, at least two).
    """
    import numpy as np
    import pyarrow as pa
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows: dict[str, list[Any]] = {k: [] for k in (*GROUP, "good_interferograms", "dates", "network_components",
                                                  "network_connected", "first_date", "last_date", "ready")}
    if pairs.num_rows:
        data = pairs.to_pydict()
        groups: dict[tuple[Any, ...], list[int]] = {}
        for i, key in enumerate(zip(*(data[c] for c in GROUP), strict=True)):
            groups.setdefault(key, []).append(i)
        for key, idx in sorted(groups.items(), key=lambda kv: tuple("" if v is None else str(v) for v in kv[0])):
            sec = [data["secondary_date"][i] for i in idx]
            ref = [data["reference_date"][i] for i in idx]
            dates = sorted({d for d in sec + ref if d is not None})
            index = {d: n for n, d in enumerate(dates)}
            edges = [(index[s], index[r]) for s, r in zip(sec, ref, strict=True) if s is not None and r is not None]
            if edges:
                a, b = np.array(edges).T
                graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(dates), len(dates)))
                n_components = int(connected_components(graph, directed=False)[0])
            else:
                n_components = 0
            for column, value in zip(GROUP, key, strict=True):
                rows[column].append(value)
            rows["good_interferograms"].append(len(idx))
            rows["dates"].append(len(dates))
            rows["network_components"].append(n_components)
            rows["network_connected"].append(n_components == 1)
            rows["first_date"].append(min(sec, default=None))
            rows["last_date"].append(max(ref, default=None))
            rows["ready"].append(n_components == 1 and len(idx) >= 2)
    schema = pa.schema([("aoi", pa.string()), ("track", pa.int32()), ("direction", pa.string()),
                        ("good_interferograms", pa.int64()), ("dates", pa.int64()), ("network_components", pa.int64()),
                        ("network_connected", pa.bool_()), ("first_date", pa.date32()), ("last_date", pa.date32()),
                        ("ready", pa.bool_())])
    return pa.table(rows, schema=schema)
