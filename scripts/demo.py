"""`make demo`: initialise the lake, add a demo AOI over a real DEM, run the forward DAG through Airflow,
and show what it made. Safe to run again: the second run finds the pairs catalogued and skips them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
#: The demo AOI: Somma-Vesuvius, inside the SRTM3 tile N40E014 that ships with the PGEs.
DEMO_AOI = ("vesuvius", ["14.38", "40.77", "14.50", "40.86"])
#: A fixed logical date, so the demo makes the same products every time.
DEMO_DATE = "2024-03-01"
#: Real interferograms made by ROI_PAC (PyRate's test data, tests/data/SOURCES.md) and GAMMA coherence.
SYDNEY_MANIFEST = ROOT / "tests" / "data" / "envisat_sydney_roipac" / "qa_real_check.csv"


def step(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.monotonic()


def run(*cmd: str | Path, quiet: bool = False, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    proc = subprocess.run([str(c) for c in cmd], env=env, text=True, capture_output=True, check=False, cwd=cwd)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        sys.exit(f"demo: `{' '.join(map(str, cmd))}` failed with exit code {proc.returncode}")
    if not quiet:
        print(proc.stdout.rstrip())
    return proc.stdout


def dag_test(dag_id: str, env: dict[str, str]) -> None:
    """``airflow dags test DAG_ID DEMO_DATE``; stop the demo with the run's log when a task failed."""
    out = run(BIN / "airflow", "dags", "test", dag_id, DEMO_DATE, quiet=True, env=env)
    if "state=failed" in out.replace(" ", "") or "DagRunState.FAILED" in out:
        sys.stderr.write(out[-6000:])
        sys.exit(f"demo: the {dag_id} DAG run failed; the log above says which task and why")


def main() -> None:
    import argparse

    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()  # --help: say what it does, run nothing
    t0 = time.monotonic()
    env = dict(os.environ)
    home = Path(env.setdefault("SARLAKE_HOME", str(ROOT / "var")))
    env.setdefault("AIRFLOW_HOME", str(home / "airflow"))
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
    env.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(ROOT / "plugins"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    os.environ.update(env)

    step(f"Lake under {home}")
    run(BIN / "sarlake", "init", env=env)
    run(BIN / "sarlake", "aoi", "add", DEMO_AOI[0], "--bbox", *DEMO_AOI[1], env=env)
    run(BIN / "sarlake", "aoi", "list", env=env)

    t = step("Airflow metadata database")
    run(BIN / "airflow", "db", "migrate", quiet=True, env=env)
    print(f"ready ({time.monotonic() - t:.0f} s)")

    t = step(f"Forward DAG, logical date {DEMO_DATE} (airflow dags test forward {DEMO_DATE})")
    dag_test("forward", env)
    print(f"forward DAG run finished ({time.monotonic() - t:.0f} s)")

    step("What the lake holds (sarlake sql)")
    run(
        BIN / "sarlake", "sql",
        "SELECT aoi, product_type, track, count(*) AS products, min(reference_date) AS first_ref, "
        "max(reference_date) AS last_ref, round(avg(coherence_mean), 3) AS mean_coherence "
        "FROM products GROUP BY ALL ORDER BY ALL",
        env=env,
    )
    run(
        BIN / "sarlake", "sql",
        "SELECT product_id, temporal_baseline_days AS dt_days, round(coherence_mean, 2) AS coh "
        "FROM products ORDER BY reference_date, secondary_date",
        env=env,
    )
    run(BIN / "sarlake", "sql", "SELECT count(*) AS acquisitions FROM acquisitions", env=env)

    t = step("Time series of the AOI's interferograms (sarlake timeseries)")
    run(BIN / "sarlake", "timeseries", DEMO_AOI[0], env=env)
    velocity = sorted((home / "products" / "L3_TS").rglob("velocity.png"))
    print(f"velocity map: {velocity[-1] if velocity else 'none'} ({time.monotonic() - t:.0f} s)")

    t = step("Data-quality gate: the quality_gate DAG (Great Expectations) on what is pending")
    dag_test("quality_gate", env)
    run(BIN / "sarlake", "sql", "SELECT product_type, status, count(*) AS products FROM products GROUP BY ALL "
        "ORDER BY ALL", env=env)
    print(f"Data Docs: {home / 'gx' / 'uncommitted' / 'data_docs' / 'local_site' / 'index.html'} (with make up: "
          "Airflow UI > Browse > Data Docs (quality gate)); "
          f"quarantined products: docs/runbooks.md ({time.monotonic() - t:.0f} s)")

    t = step("The analysts' catalogue: dbt build of the staging views, marts and tests (sarlake dbt build)")
    run(BIN / "sarlake", "dbt", "build", env=env)
    run(BIN / "sarlake", "sql", "SELECT aoi, track, direction, good_interferograms, dates, network_connected, ready "
        "FROM catalogue.marts.mart_timeseries_readiness ORDER BY ALL", env=env)
    print(f"catalogue built ({time.monotonic() - t:.0f} s); docs: make docs")

    step("Browse images")
    browse = sorted((home / "products").rglob("*.png"))
    for png in browse[:10]:
        print(png)
    if not browse:
        sys.exit("demo: no browse image was made")

    t = step("QA: a champion model (trained once, on a small simulated labelled set: sarlake qa train)")
    run(BIN / "sarlake", "qa", "train", "--scenes", "24", "--quick", "--if-no-champion", "--model", "random_forest",
        "--model", "gradient_boosting", "--model", "mlp_browse", "--model", "unet_ordinal_boosting", "--workers", "2",
        env=env)
    print(f"({time.monotonic() - t:.0f} s; the full run is `make train`)")

    t = step("QA: p(error|I) of the forward products (the qa DAG through Airflow: the qa PGE), the quality table")
    dag_test("qa", env)
    run(
        BIN / "sarlake", "sql",
        "SELECT product_id, round(p_error, 3) AS p_error, predicted_uwe, model_name, model_version, degraded "
        "FROM product_quality WHERE product_type = 'L2_IFG' ORDER BY p_error DESC",
        env=env,
    )
    run(BIN / "sarlake", "qa", "report", env=env)
    print(f"({time.monotonic() - t:.0f} s)")

    t = step("QA of files from another processor, no lake: the 17 real Envisat ROI_PAC interferograms over Sydney "
             "(sarlake qa score --manifest)")
    run(BIN / "sarlake", "qa", "score", "--manifest", SYDNEY_MANIFEST.relative_to(ROOT), env=env, cwd=ROOT)
    print(f"({time.monotonic() - t:.0f} s; their triplet closure beside these scores: docs/qa.md, Sydney)")

    step("Next")
    print("Open the Airflow UI (forward DAG, its runs and logs) and the MLflow UI:  make up")
    print(f"Its products, and one of them whole:            .venv/bin/sarlake products list --aoi {DEMO_AOI[0]}; "
          ".venv/bin/sarlake products show ID")
    print('Query the lake:                                 .venv/bin/sarlake sql "SELECT * FROM products"')
    print(f"Demo finished in {time.monotonic() - t0:.0f} s.")
    if shutil.which("airflow") is None:
        print("(add .venv/bin to PATH to use the airflow and sarlake commands directly)")


if __name__ == "__main__":
    main()
