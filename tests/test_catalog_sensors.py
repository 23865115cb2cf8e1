"""A failed dbt test's own task in the catalog DAG fails with dbt's message for it, not only with its status.

The DAG's producer task runs its real ``dbt build`` (Cosmos's watcher producer, dbt in-process as in Airflow) on
a small lake with one product tier that the mart's ``accepted_values`` test refuses; its XComs are kept as a
task instance would. The truth is dbt's own output in the producer's log (dbt prints, for a failed test,
"Failure in test <name> (<file>)", its message and "compiled code at <path>") and, by construction, the message
itself: one refused value, so "Got 1 result, configured to fail if != 0".
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST = "accepted_values_mart_product_quality_tier__hot__archive__cached"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _TaskInstance:
    """What Cosmos's producer and sensors ask of a task instance: XComs (one store for the run), a try number."""

    def __init__(self, task: Any, xcoms: dict[str, Any]) -> None:
        self.task, self.task_id, self.dag_id = task, task.task_id, "catalog"
        self.try_number, self.map_index, self.xcoms = 1, -1, xcoms

    def xcom_push(self, key: str, value: Any) -> None:
        assert self.task_id == "dbt_producer_watcher", "only the producer pushes"
        self.xcoms[key] = value

    def xcom_pull(self, task_ids: Any = None, key: str | None = None, **_: Any) -> Any:
        return self.xcoms.get(key)


def _context(dag: Any, task_id: str, xcoms: dict[str, Any]) -> dict[str, Any]:
    ti = _TaskInstance(dag.get_task(task_id), xcoms)
    return {"ti": ti, "task_instance": ti, "run_id": "manual__test", "dag": dag, "task": ti.task}


@pytest.fixture(scope="module")
def failed_build(tmp_path_factory: pytest.TempPathFactory):
    """The catalog DAG, its producer's XComs and dbt's lines from a build where ``TEST`` failed."""
    import browse_lake
    import cosmos.settings
    from airflow.dag_processing.dagbag import DagBag

    home = tmp_path_factory.mktemp("catalog") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SARLAKE_HOME", str(home))
        # the producer backs its XComs up in an Airflow Variable (a metadata database) for its own retries
        mp.setattr(cosmos.settings, "enable_watcher_reliable_retry", False)
        from lake.settings import get_settings
        from lake.write import update

        settings = get_settings()
        browse_lake.build(settings)
        update("products", [{"product_id": "IFG_A_02", "tier": "frozen"}], settings)  # not hot/archive/cached
        Path(settings.catalogue_db).parent.mkdir(parents=True, exist_ok=True)
        dag = DagBag(dag_folder=str(ROOT / "dags" / "catalog.py")).dags["catalog"]
        xcoms: dict[str, Any] = {}
        handler = _Lines()
        logging.getLogger("cosmos").addHandler(handler)
        try:
            producer = dag.get_task("dbt_producer_watcher")
            context = _context(dag, "dbt_producer_watcher", xcoms)
            producer.render_template_fields(context, jinja_env=dag.get_template_env())  # as a worker does
            with pytest.raises(Exception, match=TEST):  # the producer fails, as the build did
                producer.execute(context)
            os.environ.pop("SARLAKE_CATALOGUE_DB", None)  # dbt in-process leaves the task's env behind
        finally:
            logging.getLogger("cosmos").removeHandler(handler)
        yield dag, xcoms, handler.lines


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(ANSI.sub("", record.getMessage()))


def _dbt_says(lines: list[str]) -> tuple[str, str]:
    """dbt's message for ``TEST`` and where it compiled it, from dbt's own end-of-build report."""
    at = next(i for i, line in enumerate(lines) if re.search(rf"Failure in test {TEST} \(", line))
    message = re.sub(r"^\d\d:\d\d:\d\d\s+", "", lines[at + 1]).strip()
    compiled = next(line for line in lines[at:] if "compiled code at " in line).split("compiled code at ")[1]
    return message, compiled.strip()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["deferred", "poked"])
def test_a_failed_data_test_task_fails_with_dbts_message(failed_build, caplog, how) -> None:
    """The test task ends through its trigger's event (deferred) or at its first poke (the build was over)."""
    dag, xcoms, dbt_lines = failed_build
    message, compiled = _dbt_says(dbt_lines)
    assert message == "Got 1 result, configured to fail if != 0"  # one refused tier value

    task = dag.get_task("mart_product_quality.test")
    context = _context(dag, task.task_id, xcoms)
    with caplog.at_level(logging.INFO), pytest.raises(Exception) as failed:
        if how == "deferred":
            task.execute_complete(context, {"status": "failed", "reason": "node_failed"})
        else:
            task.poke(context)
    for text in (str(failed.value), caplog.text):  # the exception and the task's log
        assert f"{TEST}: {message}" in text
        assert compiled in text
    # its model was built: the model's own task succeeds
    assert dag.get_task("mart_product_quality.run").poke(_context(dag, "mart_product_quality.run", xcoms)) is True


def test_a_failure_the_build_did_not_report_keeps_cosmoss_error() -> None:
    """The producer failed before it reported the node (no dbt message for it): Cosmos's own error stands."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags" / "catalog.py")).dags["catalog"]
    task = dag.get_task("mart_product_quality.test")
    with pytest.raises(Exception, match="Watcher producer task 'dbt_producer_watcher' failed before reporting"):
        task.execute_complete(_context(dag, task.task_id, {}), {"status": "failed", "reason": "producer_failed"})
