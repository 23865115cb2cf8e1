"""The first task of every sarlake DAG: refuse unknown trigger keys and re-check every parameter's range.

Airflow's trigger form and REST API validate typed Params, but a misspelled key (``lookbak_days``) is
accepted and silently ignored, and the form can clamp out-of-range numbers. This check fails the run at
once (no retries) with a message naming the key and the valid ones.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from airflow.sdk import task
from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)


def check_params(dag_id: str, conf: dict[str, Any], params: dict[str, Any], schemas: dict[str, dict]) -> None:
    """Raise when ``conf`` holds a key that is not a param, or a param value breaks its schema.

    Args:
        dag_id: the DAG (named in messages).
        conf: the run's trigger conf, as the user sent it.
        params: the resolved params of the run.
        schemas: each param's JSON schema.

    Raises:
        AirflowFailException: an unknown key, or a value out of its range (not retried).
    """
    import jsonschema

    valid = sorted(schemas)
    unknown = sorted(set(conf or {}) - set(valid))
    if unknown:
        raise AirflowFailException(
            f"{dag_id}: unknown trigger key(s) {', '.join(map(repr, unknown))}; valid keys: {', '.join(valid)}"
        )
    for name in valid:
        schema = {k: v for k, v in schemas[name].items() if k not in ("title", "description", "section")}
        try:
            jsonschema.validate(params.get(name), schema)
        except jsonschema.ValidationError as exc:
            raise AirflowFailException(f"{dag_id}: parameter {name}={params.get(name)!r}: {exc.message}") from None


# a bad conf fails at once (AirflowFailException is never retried); the retries are for the task's own start:
# on a fresh `make up` the scheduler starts due runs before the API server that tasks report to is listening
@task(task_id="check_conf", retries=2, retry_delay=timedelta(seconds=20))
def check_conf(**context: Any) -> dict[str, Any]:
    """Check the trigger conf against the DAG's params; return the params."""
    dag = context["dag"]
    dag_run = context.get("dag_run")
    conf = dict(getattr(dag_run, "conf", None) or {})
    params = dict(context.get("params") or {})
    schemas = {name: dict(dag.params.get_param(name).schema) for name in dag.params.keys()}
    check_params(dag.dag_id, conf, params, schemas)
    log.info("Trigger conf accepted: %s", conf or "(defaults)")
    return params
