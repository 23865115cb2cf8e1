# The Airflow image for the official Helm chart (apache-airflow/airflow): Airflow 3.3.2 with sarlake's DAGs,
# plugin package, lake library and application layer, installed from the same uv.lock.
#
#   docker build -f deploy/airflow.Dockerfile -t ghcr.io/sarlake/airflow:0.1.0 .
#   helm upgrade --install airflow apache-airflow/airflow -n sarlake -f deploy/helm/values.yaml

# The browse UI's map library and the Data Docs pages' scripts and styles (the plugin serves them: no CDN), from the
# npm registry at the versions of the committed lock, as `make browse-assets` installs them.
FROM node:22-bookworm-slim AS browse-assets
WORKDIR /vendor
COPY sarlake_plugins/browse/vendor/package.json sarlake_plugins/browse/vendor/package-lock.json sarlake_plugins/browse/vendor/.npmrc ./
RUN npm ci --no-audit --no-fund

FROM apache/airflow:3.3.2-python3.11
USER root
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
USER airflow
WORKDIR /opt/sarlake
COPY --chown=airflow:0 pyproject.toml uv.lock README.md ./
# The locked versions, into the image's own Python (Airflow itself is pinned in the lock to the image's 3.3.2).
RUN uv export --frozen --no-dev --no-emit-project --no-hashes --format requirements-txt -o /tmp/requirements.txt \
 && uv pip install --python "$(command -v python)" --no-cache -r /tmp/requirements.txt
COPY --chown=airflow:0 lake/ lake/
COPY --chown=airflow:0 pges/ pges/
COPY --chown=airflow:0 sarlake/ sarlake/
COPY --chown=airflow:0 sarlake_plugins/ sarlake_plugins/
COPY --from=browse-assets --chown=airflow:0 /vendor/node_modules sarlake_plugins/browse/vendor/node_modules
# The Great Expectations suites the quality_gate DAG runs (a package of the wheel) and the dbt project the catalog
# DAG renders and builds (models/, found beside sarlake_plugins): installed editable, so the code runs from here.
COPY --chown=airflow:0 expectations/ expectations/
COPY --chown=airflow:0 models/ models/
RUN uv pip install --python "$(command -v python)" --no-cache --no-deps --editable .
# The manifest the catalog DAG renders its tasks from (no dbt runs while Airflow parses DAGs), as `make setup` does.
RUN SARLAKE_HOME=/tmp/sarlake-build python -c "from sarlake.workflows.dbt import write_manifest; write_manifest()" \
 && rm -rf /tmp/sarlake-build
# QA and the other numba kernels compiled now, not in every task (pges/jit_warmup.py); numba needs its cache
# directory writable by the user that loads from it (airflow, group 0 as the chart runs it).
ENV NUMBA_CACHE_DIR=/opt/airflow/numba-cache
# No usage data leaves the cluster: MLflow, dbt and Cosmos honour DO_NOT_TRACK.
ENV DO_NOT_TRACK=true
RUN python -m pges.jit_warmup && chmod -R g+w /opt/airflow/numba-cache
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/
