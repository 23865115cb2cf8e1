"""Write docs/analysts.md: real questions answered with SQL on the demo lake, outputs pasted from this run.

Run it after `make demo` (it uses the lake under SARLAKE_HOME, default ./var, and builds the dbt catalogue
first): `.venv/bin/python scripts/analysts_guide.py`. Every output in the guide is what `sarlake sql` (or
plain DuckDB) printed when the guide was written, so the guide never drifts from the code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
OUT = ROOT / "docs" / "analysts.md"

#: (question, what it shows, SQL)
QUESTIONS: list[tuple[str, str, str]] = [
    ("What does the lake hold?",
     "Products per type and AOI, with their date range: the first query of any analysis.",
     "SELECT product_type, aoi, count(*) AS products, min(secondary_date) AS first_date, "
     "max(reference_date) AS last_date FROM products GROUP BY ALL ORDER BY ALL"),
    ("Which interferograms have the lowest coherence?",
     "Low coherence means noisy phase and a higher risk of unwrapping errors.",
     "SELECT product_id, temporal_baseline_days AS dt_days, round(coherence_mean, 3) AS coherence, "
     "round(unwrapped_fraction, 3) AS unwrapped FROM products WHERE product_type = 'L2_IFG' "
     "ORDER BY coherence_mean LIMIT 5"),
    ("Which products would a time series use, and why not the others?",
     "The product-quality mart joins QA p(error) and the data-quality status into one verdict.",
     "SELECT qa_verdict, dq_status, usable_for_timeseries, count(*) AS products "
     "FROM catalogue.marts.mart_product_quality GROUP BY ALL ORDER BY ALL"),
    ("Is each AOI's interferogram network connected?",
     "SBAS needs one connected network; a split network gets an unknown offset between its parts.",
     "SELECT aoi, track, direction, good_interferograms, dates, network_components, ready "
     "FROM catalogue.marts.mart_timeseries_readiness ORDER BY ALL"),
    ("How complete is the coverage, month by month?",
     "Acquisitions, interferograms and missed acquisitions (gaps longer than the 12-day revisit) per track.",
     "SELECT aoi, track, month, acquisitions, missed_acquisitions, interferograms "
     "FROM catalogue.marts.mart_aoi_coverage ORDER BY ALL LIMIT 12"),
    ("Which earthquakes triggered processing, and how fast did products follow?",
     "The event-response mart: the evaluator's decision per event, products made and latency from the origin "
     "(empty until the urgent_response DAG has read an event from its feed).",
     "SELECT event_id, magnitude, alert, decision, products, round(minutes_from_origin, 1) AS min_from_origin "
     "FROM catalogue.marts.mart_event_response ORDER BY origin_time DESC LIMIT 5"),
    ("Where are the products: hot, archived or restored?",
     "The archive-status mart: per collection and age, by storage tier, with failed deliveries.",
     "SELECT * FROM catalogue.marts.mart_archive_status ORDER BY ALL"),
    ("Which product versions does the DAAC hold?",
     "The DAAC-granules mart: every version the DAAC acknowledged, each in its own archive folder, and whether the "
     "catalogue still shows it (empty until the archive_roll DAG has delivered something).",
     "SELECT product_type, version, count(*) AS granules, sum(bytes) AS bytes, count(*) FILTER (WHERE NOT "
     "catalogue_version) AS superseded FROM catalogue.marts.mart_daac_granules GROUP BY ALL ORDER BY ALL"),
    ("How long does each PGE take?",
     "Wall time per product from provenance, per PGE and version.",
     "SELECT pge_name, pge_version, sum(runs) AS runs, sum(products) AS products, "
     "round(avg(median_duration_s), 1) AS median_s, round(max(max_duration_s), 1) AS max_s "
     "FROM catalogue.marts.mart_pge_runs GROUP BY ALL ORDER BY ALL"),
    ("Which inputs, parameters and image made a product?",
     "The provenance of the most recent interferogram: reproducible to the byte.",
     "SELECT p.product_id, v.pge_name, v.pge_version, v.pge_image, len(v.inputs) AS inputs, "
     "json_extract_string(v.parameters, '$.unwrap.method') AS unwrapper, v.run_id "
     "FROM products AS p JOIN provenance AS v USING (product_id) WHERE p.product_type = 'L2_IFG' "
     "ORDER BY p.reference_date DESC LIMIT 3"),
    ("Which acquisitions are not in any interferogram yet?",
     "New scenes waiting for a partner, or scenes a failed run skipped.",
     "SELECT a.acquisition_id, a.track, a.start_time FROM acquisitions AS a "
     "WHERE NOT EXISTS (SELECT 1 FROM products AS p WHERE a.acquisition_id IN "
     "(p.reference_acquisition, p.secondary_acquisition)) ORDER BY a.start_time LIMIT 5"),
    ("Which products cover a point of interest?",
     "A bounding-box test on the footprint columns (Parquet statistics prune the files that cannot match).",
     "SELECT product_id, product_type, west, south, east, north FROM products "
     "WHERE 14.42 BETWEEN west AND east AND 40.82 BETWEEN south AND north ORDER BY product_id LIMIT 5"),
    ("What temporal baselines does the network use?",
     "The distribution of pair lengths: short pairs keep coherence, long ones constrain the velocity.",
     "SELECT temporal_baseline_days AS dt_days, count(*) AS interferograms, "
     "round(avg(coherence_mean), 3) AS mean_coherence FROM products WHERE product_type = 'L2_IFG' "
     "GROUP BY ALL ORDER BY ALL"),
    ("Where are a product's files?",
     "Each file's full location and SHA-256 from the catalogued STAC assets, ready for a download script (an "
     "asset's href is relative to the product's folder, `uri`, unless it is a full URL or path).",
     "SELECT product_id, asset, CASE WHEN href LIKE '%://%' OR href LIKE '/%' THEN href "
     "ELSE rtrim(uri, '/') || '/' || href END AS url, sha256 "
     "FROM (SELECT product_id, uri, key AS asset, json_extract_string(value, '$.href') AS href, "
     "json_extract_string(value, '$.\"sarlake:sha256\"') AS sha256 FROM products, json_each(assets) "
     "WHERE product_type = 'L2_IFG') ORDER BY product_id, asset LIMIT 6"),
]


def sarlake(*args: str, env: dict[str, str]) -> str:
    proc = subprocess.run([str(BIN / "sarlake"), *args], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"analysts_guide: sarlake {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.rstrip()


def all_null_columns(sql: str, env: dict[str, str]) -> list[str]:
    """The columns of ``sql``'s answer that are null in every row of it (none when it has no rows).

    A wrong JSON path or a column a PGE never fills prints as a blank column that reads like data the lake lacks.
    """
    rows = json.loads(sarlake("sql", sql, "--format", "json", env=env) or "[]")
    return [name for name in (rows[0] if rows else {}) if all(row[name] is None for row in rows)]


def plain_duckdb(env: dict[str, str], query: str) -> tuple[str, str]:
    setup = sarlake("sql-setup", env=env)
    code = (
        "import duckdb, sys\n"
        "con = duckdb.connect()\n"
        "con.execute(open(sys.argv[1]).read())\n"
        f"print(con.sql({query!r}))\n"
    )
    path = Path(env["SARLAKE_HOME"]) / "lake-setup.sql"
    path.write_text(setup + "\n")
    out = subprocess.run([str(BIN / "python"), "-c", code, str(path)], env=env, capture_output=True, text=True,
                         check=True).stdout.rstrip()
    return setup, out


def data_version(env: dict[str, str]) -> list[str]:
    """The guide's part on reading a QA model's training data as it was (a tagged ``qa_training_set`` snapshot)."""
    code = ("from lake.versions import tagged_versions\n"
            "for tag, sid in sorted(tagged_versions('qa_training_set').items()): print(tag, sid)\n")
    tags = subprocess.run([str(BIN / "python"), "-c", code], env=env, capture_output=True, text=True, check=True,
                          cwd=ROOT).stdout.split()
    if not tags:
        return []
    tag, snapshot = tags[-2], int(tags[-1])
    dataset = tag.removesuffix(f"-{snapshot}")
    query = (f"SELECT split, uwe_label, count(*) AS products, round(avg(agreement), 2) AS agreement "
             f"FROM qa_training_set_at({snapshot}) WHERE dataset_id = '{dataset}' GROUP BY ALL ORDER BY ALL")
    snapshots = "SELECT snapshot_id, timestamp_ms FROM qa_training_set_snapshots() ORDER BY timestamp_ms"
    return ["## The data a QA model was trained on", "",
            "Each QA model's MLflow run records `data_version`, the snapshot of `qa_training_set` its labels came "
            "from. Labelling a set tags that snapshot `<set>-<snapshot id>` (`lake.versions`), so maintenance never "
            "expires it, whatever `SARLAKE_MAINTENANCE__SNAPSHOT_RETENTION_DAYS` says. Every table `t` has "
            "`t_at(snapshot_id)`, the table as it was at that snapshot, `t_as_of(timestamp)`, as it was at that "
            "time (a TIMESTAMPTZ, or text in UTC), and `t_snapshots()`, the snapshots kept (in `sarlake sql`, "
            "`connect()` and the statements of `sarlake sql-setup`). The demo's quick champion "
            f"was trained on `{dataset}` at data version `{snapshot}` (tag `{tag}`):", "",
            "```sql", query, "```", "", "```", sarlake("sql", query, env=env), "```", "",
            "```sql", snapshots, "```", "", "```", sarlake("sql", snapshots, env=env), "```", ""]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUT,
                        help=f"the guide to write (default {OUT.relative_to(ROOT)})")
    args = parser.parse_args()  # --help prints this and writes nothing (it rewrote the guide from whichever lake)
    env = dict(os.environ)
    env.setdefault("SARLAKE_HOME", str(ROOT / "var"))
    sarlake("dbt", "build", env=env)
    lines = [
        "# Analysts' guide",
        "",
        "Every answer about sarlake's products is a SQL query. The lake's tables are Apache Iceberg tables that "
        "DuckDB reads directly; the dbt catalogue (`models/`, built by the `catalog` DAG or `make catalogue`) "
        "adds documented marts in `catalogue.marts.*`. Column docs: `make docs` (or Browse > Lake catalogue in "
        "the Airflow UI).",
        "",
        f"_Generated by `scripts/analysts_guide.py` on the demo lake ({datetime.now(UTC):%Y-%m-%d}); every output "
        "below was printed by that run._",
        "",
        "## Connecting",
        "",
        "- **CLI:** `sarlake sql \"SELECT ...\"` (read-only; `--format csv|json|parquet --output FILE`). The "
        "marts are tables built from the lake as it was at the last build: a query of them says on stderr which "
        "lake tables have changed since.",
        "- **Python / notebook:** `from lake.query import connect; con = connect(); con.sql(\"SELECT ...\").df()` "
        "(a read-only DuckDB connection with a view per table and the marts attached as `catalogue`).",
        "- **Plain DuckDB (CLI, notebook, any client):** `sarlake sql-setup > lake.sql` prints the statements that "
        "load the extensions from their wheels and create the views; then `duckdb -init lake.sql`, or "
        "`con.execute(open('lake.sql').read())` in Python. Example at the end.",
        "",
        "Tables: " + ", ".join(f"`{line.split()[0]}`" for line in sarlake("tables", env=env).splitlines()) + ".",
        "",
    ]
    for i, (question, why, sql) in enumerate(QUESTIONS, 1):
        out = sarlake("sql", sql, env=env)
        if blank := all_null_columns(sql, env):
            sys.exit(f"analysts_guide: question {i} ({question}) printed {', '.join(blank)} null in every row; "
                     "fix its SQL in QUESTIONS (a JSON path?) before writing the guide")
        lines += [f"## {i}. {question}", "", why, "", "```sql", sql, "```", "", "```", out, "```", ""]
    lines += data_version(env)
    query = "SELECT product_type, count(*) AS n FROM products GROUP BY ALL ORDER BY ALL"
    setup, out = plain_duckdb(env, query)
    lines += ["## Plain DuckDB", "", "`sarlake sql-setup` printed (paths shortened by nothing: they are this "
              "machine's):", "", "```sql", setup, "```", "", f"and `con.sql({query!r})` then printed:", "",
              "```", out, "```", ""]
    args.output.write_text("\n".join(lines))
    print(f"wrote {args.output} ({len(QUESTIONS)} questions)")


if __name__ == "__main__":
    main()
