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
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
logs="$SARLAKE_HOME/logs"; mkdir -p "$logs" "$AIRFLOW_HOME"

stop() {
  for name in airflow mlflow; do
    if [ -f "$logs/$name.pid" ]; then
      pid=$(cat "$logs/$name.pid")
      kill -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
      rm -f "$logs/$name.pid"
      echo "stopped $name"
    fi
  done
}
if [ "${1:-}" = "stop" ]; then stop; exit 0; fi

running() { [ -f "$logs/$1.pid" ] && kill -0 "$(cat "$logs/$1.pid")" 2>/dev/null; }

sarlake init >/dev/null
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
passwords="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
for _ in $(seq 1 30); do [ -s "$passwords" ] && break; sleep 1; done
cat <<MSG
Airflow UI:  http://localhost:$AIRFLOW_PORT   (DAGs: forward; logs: $logs/airflow.log)
  login:     $(python -c "import json,sys; d=json.load(open(sys.argv[1])); print(', '.join(f'user {u} / password {p}' for u,p in d.items()))" "$passwords" 2>/dev/null || echo "see $passwords")
MLflow UI:   http://localhost:$MLFLOW_PORT    (logs: $logs/mlflow.log)
Data Docs:   file://$SARLAKE_HOME/gx/uncommitted/data_docs/local_site/index.html   (Great Expectations; built by the quality_gate DAG)
Stop both:   make down
MSG
