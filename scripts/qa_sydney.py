"""Score the real Envisat Sydney stack (tests/data) with the champion and put each score beside the stack's
triplet closure: for every interferogram, the share of its triplets (i, j, k with all three pairs in the
stack) whose unwrapped phases do not close (pges.train.dataset.triplet_misclosure). Prints a Markdown table.

    SARLAKE_HOME=... .venv/bin/python scripts/qa_sydney.py [ALIAS_OR_VERSION]   (default: champion)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "envisat_sydney_roipac"


def main() -> None:
    from lake.settings import get_settings
    from pges.readers.roipac import read_roipac_unw
    from pges.train.dataset import triplet_misclosure
    from sarlake.workflows.qa import score_files

    unw_files = sorted((DATA / "roipac_unw").glob("*.unw"))
    ifgs = {f: read_roipac_unw(f) for f in unw_files}
    dates = sorted({d for i in ifgs.values() for d in (i.secondary_date, i.reference_date)})
    index = {d: k for k, d in enumerate(dates)}
    pairs = {(index[i.secondary_date], index[i.reference_date]): i.unwrapped_phase for i in ifgs.values()}
    closure = triplet_misclosure(pairs)
    counts: dict[tuple[int, int], int] = {}
    for a in range(len(dates)):
        for b in range(a + 1, len(dates)):
            for c in range(b + 1, len(dates)):
                if {(a, b), (b, c), (a, c)} <= set(pairs):
                    for p in ((a, b), (b, c), (a, c)):
                        counts[p] = counts.get(p, 0) + 1
    items = []
    for f in unw_files:
        i = ifgs[f]
        stem = f"{i.reference_date:%Y%m%d}"
        coh = DATA / "gamma_coherence" / f"{i.secondary_date:%Y%m%d}-{stem}_utm.unw.cc"
        items.append((str(f), str(coh) if coh.is_file() else None, None))
    scores = score_files(items, alias=sys.argv[1] if len(sys.argv) > 1 else "champion")
    s = get_settings()
    print(f"Champion: {scores[0]['model_name']} v{scores[0]['model_version']} ({s.mlflow_tracking_uri})\n")
    print("| interferogram | triplets | non-closing share | p(error) | class |")
    print("|---|---:|---:|---:|---:|")
    rows = []
    for f, sc in zip(unw_files, scores, strict=True):
        i = ifgs[f]
        key = (index[i.secondary_date], index[i.reference_date])
        share = closure.get(key)
        rows.append((f.name, counts.get(key, 0), share, sc["p_error"], sc["uwe_class"]))
    for name, n, share, pe, cls in sorted(rows, key=lambda r: -r[3]):
        print(f"| {name} | {n} | {'-' if share is None else f'{share:.2f}'} | {pe:.3f} | UWE_{cls} |")
    closing = [r[3] for r in rows if r[2] == 0]
    broken = [r[3] for r in rows if r[2] is not None and r[2] > 0]
    print(f"\nmean p(error): products whose triplets all close {np.mean(closing) if closing else float('nan'):.3f} "
          f"(n={len(closing)}); products in a non-closing triplet "
          f"{np.mean(broken) if broken else float('nan'):.3f} (n={len(broken)})")


if __name__ == "__main__":
    main()
