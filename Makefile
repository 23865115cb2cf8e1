# sarlake: `make demo` and `make test` work on a fresh clone (they set up .venv first).
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
export UV_LINK_MODE := copy
export SARLAKE_HOME ?= $(CURDIR)/var
export AIRFLOW_HOME ?= $(SARLAKE_HOME)/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__PARALLELISM ?= 4
export AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG ?= 2
export PATH := $(CURDIR)/.venv/bin:$(PATH)
# No usage data leaves the machine: MLflow (client, server and its UI), dbt and Cosmos honour DO_NOT_TRACK.
export DO_NOT_TRACK ?= true

PYTHON_BIN ?= python3.11
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
VENV := .venv/.synced
MANIFEST := models/target/manifest.json
# The browse UI's map library and the Data Docs pages' scripts and styles, from the npm registry at the versions of
# sarlake_plugins/browse/vendor/package-lock.json (npm writes node_modules/.package-lock.json as it installs)
VENDOR := sarlake_plugins/browse/vendor
BROWSE_ASSETS := $(VENDOR)/node_modules/.package-lock.json
DOCS_PORT ?= 8081
# pytest workers (pytest-xdist; one test file per worker at a time, so a module's end-to-end setup runs once)
TEST_WORKERS ?= 2

.PHONY: help setup demo test test-fast bench bench-large lint up down clean catalogue docs train browse-assets browser

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON_BIN) -m venv .tools
	.tools/bin/python -m pip install --quiet uv

$(VENV): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON_BIN)
	@touch $@

# The dbt manifest the `catalog` DAG renders from (no dbt command while Airflow parses DAGs).
$(MANIFEST): $(VENV) models/dbt_project.yml models/profiles.yml $(wildcard models/*/*.sql models/*/*.yml)
	.venv/bin/sarlake dbt manifest >/dev/null

setup: $(VENV) $(MANIFEST) $(BROWSE_ASSETS)  ## create .venv from uv.lock (and the dbt manifest, the browse UI's npm assets)

demo: $(VENV) $(MANIFEST) $(BROWSE_ASSETS)  ## set up, initialise the lake, run the forward DAG through Airflow, show what it made
	.venv/bin/python scripts/demo.py

TRAIN_SCENES ?= 840
TRAIN_WORKERS ?= 2
# OpenMP threads of the boosting models: 1 on a shared machine (2 spinning threads on an oversubscribed 2-core
# machine took > 12 min for what 1 thread fits in 1 min)
TRAIN_THREADS ?= 1
train: $(VENV)  ## full QA training run: 4,200 simulated products (840 scenes), 6 models and 4 averages in MLflow, champion by comparison
	.venv/bin/sarlake init  # idempotent: a fresh SARLAKE_HOME gets its tables
	OMP_NUM_THREADS=$(TRAIN_THREADS) .venv/bin/sarlake -v qa train --scenes $(TRAIN_SCENES) --workers $(TRAIN_WORKERS) \
		--real-check tests/data/envisat_sydney_roipac/qa_real_check.csv

test: $(VENV) $(MANIFEST) $(BROWSE_ASSETS)  ## set up and run every test (slow end-to-end ones included)
	bash scripts/postgres.sh ensure  # the lake tests also run on a real PostgreSQL catalogue
	bash scripts/install_browser.sh  # Debian's chromium + chromium-driver for the browse UI's browser tests
	.venv/bin/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --durations=15

catalogue: $(VENV) $(MANIFEST)  ## build the analysts' catalogue (dbt staging views, marts, tests) over the lake
	.venv/bin/sarlake dbt build

docs: $(VENV) $(MANIFEST)  ## generate the catalogue's dbt docs and serve them on http://localhost:$(DOCS_PORT)
	.venv/bin/sarlake dbt docs
	@echo "dbt docs: http://localhost:$(DOCS_PORT)  (Ctrl-C stops)"
	.venv/bin/python -m http.server --bind 127.0.0.1 --directory $(SARLAKE_HOME)/dbt/target $(DOCS_PORT)

test-fast: $(VENV) $(MANIFEST)  ## the tests without the slow end-to-end ones
	.venv/bin/python -m pytest -q -m "not slow" -n $(TEST_WORKERS) --dist loadfile

bench: $(VENV)  ## run the benchmarks and write docs/benchmarks.md
	.venv/bin/python bench/run.py --output docs/benchmarks.md

bench-large: $(VENV)  ## the largest benchmark sizes (not in CI, hours): 100M-product lake, 3,000-product ingest, 1,000-ifg and 2048² time series
	SARLAKE_BENCH_LARGE=1 .venv/bin/python bench/run.py --only bench_lake bench_ingest_scale bench_ts_scale --output docs/benchmarks-large.md

lint: $(VENV)  ## ruff and mypy
	.venv/bin/ruff check lake pges sarlake sarlake_plugins dags plugins tests bench scripts models expectations
	.venv/bin/mypy lake pges sarlake sarlake_plugins dags
	@# a DuckDB result read with fetchone stays open; dropping its connection then can hang DuckDB's cleanup
	@! grep -rn '\.fetchone(' lake pges sarlake sarlake_plugins dags || { echo 'read DuckDB results with fetchall, not fetchone (see sarlake/workflows/qa.py quality_report)'; exit 1; }

up: $(VENV) $(MANIFEST) $(BROWSE_ASSETS)  ## Airflow standalone + MLflow UI on localhost (prints URLs and the login)
	bash scripts/up.sh

down:  ## stop what `make up` started
	bash scripts/up.sh stop

clean:  ## remove the embedded lake (var/) and the stack's PostgreSQL data (kept under /tmp when run as root); keeps .venv
	@if [ -d var/postgres ]; then bash scripts/postgres.sh destroy var/postgres; fi
	rm -rf var

$(BROWSE_ASSETS): $(VENDOR)/package-lock.json
	npm ci --no-audit --no-fund --prefix $(VENDOR)

browse-assets: $(BROWSE_ASSETS)  ## install Leaflet and the Data Docs pages' scripts from the npm registry (served by the plugin)

browser:  ## install Debian's chromium and chromium-driver (the browse UI's browser tests; needs root)
	scripts/install_browser.sh
