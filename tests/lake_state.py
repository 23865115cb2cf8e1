"""What "an unchanged lake" means in tests: every table's current snapshot id and every file's size and mtime."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def lake_state(settings: Any) -> dict[str, Any]:
    """Snapshot ids of every lake table plus (path, size, mtime_ns) of every local file under the lake roots."""
    from lake.catalog import get_catalog, load_table

    state: dict[str, Any] = {}
    try:
        names = sorted(t[-1] for t in get_catalog(settings).list_tables(settings.namespace))
    except Exception:  # not initialised: an empty namespace
        names = []
    for name in names:
        snap = load_table(name, settings).current_snapshot()
        state[f"table:{name}"] = snap.snapshot_id if snap else None
    for root in (settings.warehouse, settings.products_root):
        if root.startswith("s3://"):
            continue
        base = Path(root)
        files = {}
        if base.exists():
            for dirpath, _dirs, filenames in os.walk(base):
                for f in filenames:
                    p = Path(dirpath) / f
                    st = p.stat()
                    files[str(p.relative_to(base))] = (st.st_size, st.st_mtime_ns)
        state[f"files:{root}"] = files
    return state


def diff_state(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Human-readable differences between two :func:`lake_state` results (empty when unchanged)."""
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            changed = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            out.append(f"{key}: {len(changed)} file(s) changed, e.g. {changed[:3]}")
        else:
            out.append(f"{key}: {a} -> {b}")
    return out
