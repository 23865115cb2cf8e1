#!/usr/bin/env bash
# `make up`: Airflow standalone (API server + UI, scheduler, DAG processor, triggerer) and the MLflow UI on
# localhost, in the background, logs under $SARLAKE_HOME/logs. `make down` (this script with `stop`) stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SARLAKE_HOME:=$PWD/var}"
: "${AIRFLOW_HOME:=$SARLAKE_HOME/airflow}"
: "${AIRFLOW_PORT:=8080}"
: "${MLFLOW_PORT:=5000}"
export SARLAKE_HOME AIRFLOW_HOME PATH="$PWD/.venv/bin:$PATH"
export AIRFLOW__CORE__DAGS_FOLDER="$PWD/dags" AIRFLOW__CORE__PLUGINS_FOLDER="$PWD/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__API__PORT="$AIRFLOW_PORT"
# the qa_train DAG's promotion is gated by real interferograms (Sydney Envisat, truth from triplet closure)
export SARLAKE_QA_REAL_CHECK="${SARLAKE_QA_REAL_CHECK:-$PWD/tests/data/envisat_sydney_roipac/qa_real_check.csv}"
# Tasks report to the execution API of *this* API server (the default, localhost:8080, is wrong on any other
# port, and may be another Airflow's).
export AIRFLOW__API__BASE_URL="${AIRFLOW__API__BASE_URL:-http://localhost:$AIRFLOW_PORT}"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="${AIRFLOW__CORE__EXECUTION_API_SERVER_URL:-http://localhost:$AIRFLOW_PORT/execution/}"
# One API worker on a busy laptop answers slower than Airflow's 5 s default: tasks then fail before they start.
export AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT="${AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT:-60}"
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
# The embedded deployment creates the sarlake DAGs unpaused, so a run triggered from the UI or the API starts
# at once (Airflow's own default, True, leaves it queued with no word why). Set it to True to get them paused.
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-False}"
logs="$SARLAKE_HOME/logs"; mkdir -p "$logs" "$AIRFLOW_HOME"
pgdir="$SARLAKE_HOME/postgres"
# The analysts' catalogue docs (dbt docs) under Browse in the Airflow UI, served by Cosmos's plugin.
dbt_target="$SARLAKE_HOME/dbt/target"
export AIRFLOW__COSMOS__DBT_DOCS_PROJECTS="{\"sarlake\": {\"dir\": \"$dbt_target\", \"index\": \"index.html\", \"name\": \"Lake catalogue (dbt docs)\"}}"

# Stop everything in the session a `setsid` start created (its id is the pid we saved), and wait until every
# process of it has exited: Airflow's scheduler, API server, DAG processor, triggerer and their workers.
stop_group() {
  local name="$1" sid
  [ -f "$logs/$name.pid" ] || return 0
  sid=$(cat "$logs/$name.pid")
  pkill -TERM -s "$sid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    pgrep -s "$sid" >/dev/null 2>&1 || break
    sleep 1
  done
  if pgrep -s "$sid" >/dev/null 2>&1; then
    pkill -KILL -s "$sid" 2>/dev/null || true
    while pgrep -s "$sid" >/dev/null 2>&1; do sleep 0.5; done
  fi
  rm -f "$logs/$name.pid"
  echo "stopped $name"
}
stop() {
  stop_group airflow
  stop_group mlflow
  if [ -f "$pgdir/port" ]; then bash scripts/postgres.sh stop "$pgdir"; echo "stopped postgresql"; fi
}
if [ "${1:-}" = "stop" ]; then stop; exit 0; fi
# API tokens signed with a 64-byte secret kept in $AIRFLOW_HOME/jwt_secret (Airflow's default is 16 bytes, which
# PyJWT warns about at every login); one set in the environment wins.
if [ -z "${AIRFLOW__API_AUTH__JWT_SECRET:-}" ]; then
  AIRFLOW__API_AUTH__JWT_SECRET=$(bash scripts/jwt_secret.sh "$AIRFLOW_HOME"); export AIRFLOW__API_AUTH__JWT_SECRET
fi

running() { [ -f "$logs/$1.pid" ] && kill -0 "$(cat "$logs/$1.pid")" 2>/dev/null; }

sarlake init >/dev/null
# Airflow's metadata database on PostgreSQL (SQLite locks under the scheduler, the API and backfills at once);
# scripts/postgres.sh installs Debian's postgresql package when no server is found and starts a cluster under
# $SARLAKE_HOME/postgres on a free port. SARLAKE_AIRFLOW_DB=sqlite keeps SQLite.
if [ "${SARLAKE_AIRFLOW_DB:-postgres}" = postgres ] && [ -z "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-}" ]; then
  AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=$(bash scripts/postgres.sh start "$pgdir" airflow | tail -1)
  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
  export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
  echo "Airflow metadata DB: $AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
fi
[ -f "$dbt_target/index.html" ] || sarlake dbt docs >/dev/null 2>&1 || echo "(dbt docs not built: run make docs)"
if ! running airflow; then
  setsid nohup airflow standalone >"$logs/airflow.log" 2>&1 &
  echo $! >"$logs/airflow.pid"
fi
if ! running mlflow; then
  mlflow_uri=$(python -c "from lake.settings import get_settings; print(get_settings().mlflow_tracking_uri)")
  setsid nohup mlflow ui --backend-store-uri "$mlflow_uri" --host 127.0.0.1 --port "$MLFLOW_PORT" \
    >"$logs/mlflow.log" 2>&1 &
  echo $! >"$logs/mlflow.pid"
fi

printf 'waiting for Airflow on http://localhost:%s ' "$AIRFLOW_PORT"
for _ in $(seq 1 120); do
  if curl -fsS "http://localhost:$AIRFLOW_PORT/api/v2/monitor/health" >/dev/null 2>&1; then break; fi
  printf '.'; sleep 2
done
echo
# The pool bulk reprocessing runs in: fewer slots than the executor's parallelism, so forward, on-demand and
# urgent tasks always find one (SARLAKE_BULK_SLOTS).
airflow pools set bulk "${SARLAKE_BULK_SLOTS:-2}" "sarlake bulk reprocessing" >/dev/null 2>&1 || echo "could not create the bulk pool"
# A fresh home has no QA model: the qa DAG (run after every DAG that makes products) then fails, naming the model
# and alias, as it must. Say so here, where an operator reads first, rather than in a red run.
qa_note=""
if ! python -c "import sys; from sarlake.workflows.qa_train import has_champion; sys.exit(not has_champion())" \
    >/dev/null 2>&1; then
  qa_note="QA model:    none registered as champion yet: the qa DAG's runs fail until one is (trigger qa_train in the UI, or make train; make demo trains a small one)"
fi
passwords="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
for _ in $(seq 1 30); do [ -s "$passwords" ] && break; sleep 1; done
cat <<MSG
Airflow UI:  http://localhost:$AIRFLOW_PORT   (every sarlake DAG unpaused: forward, bulk, on_demand, urgent_response, ingest, unwrap, qa, qa_train, reprocess, timeseries, catalog, quality_gate, archive_roll, archive_restore, maintenance; logs: $logs/airflow.log)
  login:     $(python -c "import json,sys; d=json.load(open(sys.argv[1])); print(', '.join(f'user {u} / password {p}' for u,p in d.items()))" "$passwords" 2>/dev/null || echo "see $passwords")
MLflow UI:   http://localhost:$MLFLOW_PORT/#/experiments?workflowType=machine_learning    (model training view; logs: $logs/mlflow.log)
Data Docs:   Airflow UI > Browse > Data Docs (quality gate)  (Great Expectations; built by the quality_gate DAG; files: $SARLAKE_HOME/gx/uncommitted/data_docs/local_site)
dbt docs:    Airflow UI > Browse > Lake catalogue (dbt docs)  (rebuild: make docs; files: $dbt_target)
Stop both:   make down
MSG
[ -z "$qa_note" ] || echo "$qa_note"
