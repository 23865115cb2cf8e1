"""`make bench`: run every benchmark and write a Markdown table, each figure beside its reference.

Each ``bench/bench_*.py`` module exposes ``run() -> list[dict]`` with rows
``{"name", "value", "unit", "target", "reference"}``; a reference is measured in the same run on the same input
(or says "published figure, not measured here" and its source), so the table compares like with like on
whatever machine runs it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return "" if value is None else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", help="the Markdown file to write (default docs/benchmarks.md for a full run; a "
                                         "run --only some modules writes only where this says)")
    parser.add_argument("--only", nargs="*", help="benchmark modules to run, e.g. bench_lake")
    args = parser.parse_args()
    if args.output is None and not args.only:
        args.output = "docs/benchmarks.md"
    sections = []
    load = os.getloadavg()[0]
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and path.stem not in args.only:
            continue
        t0 = time.monotonic()
        print(f"running {path.name} ...", flush=True)
        rows = _load(path).run()
        sections.append((path.stem, rows, time.monotonic() - t0))
        for row in rows:
            print(f"  {row['name']}: {_fmt(row['value'])} {row['unit']} (target {row.get('target') or '-'})")
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"1-minute load average {load:.1f} at the start.",
        "Every reference is measured in the same run on the same input, or says \"published figure, not measured "
        "here\" with its source (tests/test_bench_docs.py holds the table to that).",
        "",
    ]
    for stem, rows, seconds in sections:
        lines += [f"## {stem.removeprefix('bench_')} ({seconds:.0f} s)", "",
                  "| measure | value | unit | target | reference |", "|---|---:|---|---|---|"]
        lines += [f"| {r['name']} | {_fmt(r['value'])} | {r['unit']} | {r.get('target') or ''} | "
                  f"{r.get('reference') or ''} |" for r in rows]
        lines.append("")
    if args.output is None:  # a partial run must not replace the whole record with its few sections
        print("not written: a run of some benchmarks writes a file only with --output FILE (`make bench` runs them "
              "all and writes docs/benchmarks.md)")
        return
    Path(args.output).write_text("\n".join(lines))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
