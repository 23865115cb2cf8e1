"""Run every case of the bad-input suite and print the tried / clear / unclear / traceback / accepted / lost table.

Usage: ``.venv/bin/python bench/bad_input_report.py [-v]`` (``make bench`` runs it through
``bench/bench_bad_input.py``). Cases and their judging live in ``tests/bad_input_cases.py``; each runs
against a fresh temporary lake, so the report never touches a real one. ``-v`` prints every case.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

KINDS = ("clear", "unclear", "traceback", "accepted", "lost")

#: the red-team run that opened issue 14 (a different, larger set of cases).
PUBLISHED = {"tried": 195, "clear": 133, "unclear": 11, "traceback": 16, "accepted": 31, "lost": 2}


def run_all(verbose: bool = False) -> list[tuple[object, object]]:
    """Run every case on a fresh temporary lake; return ``(case, outcome)`` pairs."""
    from bad_input_cases import CASES, base_lake, run_case

    results = []
    with tempfile.TemporaryDirectory(prefix="sarlake-bad-input-") as tmp:
        saved = {k: v for k, v in os.environ.items() if k.startswith("SARLAKE_")}
        for key in saved:
            del os.environ[key]
        os.environ["SARLAKE_HOME"] = str(Path(tmp) / "sarlake")
        try:
            from lake.settings import get_settings

            settings = get_settings()
            base_lake(settings)
            for i, case in enumerate(CASES):
                outcome = run_case(case, settings, Path(tmp) / f"case-{i}")
                results.append((case, outcome))
                if verbose:
                    print(f"  [{outcome.kind:9s}] item {case.item}: {case.name}: {outcome.detail or outcome.message}"
                          [:200], flush=True)
        finally:
            os.environ.pop("SARLAKE_HOME", None)
            os.environ.update(saved)
    return results


def table(results: list[tuple[object, object]]) -> list[str]:
    """Markdown lines: totals per issue-14 item and overall."""
    rows = ["| item | tried | clear | unclear | traceback | accepted | lost |", "|---|---:|---:|---:|---:|---:|---:|"]
    items = sorted({c.item for c, _ in results})  # type: ignore[attr-defined]
    for item in [*items, None]:
        chosen = [o for c, o in results if item is None or c.item == item]  # type: ignore[attr-defined]
        counts = Counter(o.kind for o in chosen)  # type: ignore[attr-defined]
        label = "all" if item is None else str(item)
        rows.append(f"| {label} | {len(chosen)} | " + " | ".join(str(counts.get(k, 0)) for k in KINDS) + " |")
    return rows


def run() -> list[dict[str, object]]:
    """Benchmark rows for ``bench/run.py``: the counts, beside the red-team figures of issue 14."""
    results = run_all()
    counts = Counter(o.kind for _, o in results)  # type: ignore[attr-defined]
    measured = {"tried": len(results), **{k: counts.get(k, 0) for k in KINDS}}
    for line in table(results):
        print("  " + line)
    for case, outcome in results:
        if outcome.kind != "clear":  # type: ignore[attr-defined]
            print(f"  not clear: item {case.item} {case.name}: {outcome.kind} {outcome.detail}"[:220])  # type: ignore[attr-defined]
    note = "issue 14 red-team run, 195 other cases (published figure, not measured here)"
    targets = {"tried": "", "clear": "= tried", "unclear": "0", "traceback": "0", "accepted": "0", "lost": "0"}
    return [{"name": f"bad inputs {k}", "value": v, "unit": "cases", "target": targets[k],
             "reference": f"{PUBLISHED[k]} ({note})"} for k, v in measured.items()]


def main() -> None:
    """Print the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case")
    args = parser.parse_args()
    results = run_all(verbose=args.verbose)
    print("\n".join(table(results)))
    for case, outcome in results:
        if outcome.kind != "clear":  # type: ignore[attr-defined]
            print(f"not clear: item {case.item} {case.name}: {outcome.kind}: {outcome.detail}"[:220])  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
