"""Every sarlake DAG refuses unknown trigger keys (naming the valid ones) and re-checks ranges at its first task."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def _schemas(dag):
    return {name: dict(dag.params.get_param(name).schema) for name in dag.params.keys()}


def _defaults(dag):
    return {name: dag.params[name] for name in dag.params.keys()}


def test_every_sarlake_dag_starts_with_check_conf(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert "check_conf" in dag.task_dict, f"{dag_id} does not check its trigger conf"
        # retried only when the task itself could not run (the API server not up yet on a fresh `make up`): a bad
        # conf raises AirflowFailException, which Airflow never retries (the tests below)
        assert dag.task_dict["check_conf"].retries == 2
        roots = {t.task_id for t in dag.roots}
        # the only root: a task beside it (qa_train's plan_set was) runs whatever a misspelled key says
        assert roots == {"check_conf"}, f"{dag_id}: check_conf must run first, before {roots - {'check_conf'}}"
        downstream = dag.task_dict["check_conf"].get_flat_relative_ids(upstream=False)
        assert downstream, f"{dag_id}: nothing waits for check_conf"


def test_misspelled_key_is_refused_naming_the_valid_ones(dagbag):
    from airflow.sdk.exceptions import AirflowFailException

    from sarlake_plugins.conf import check_params

    dag = dagbag.dags["forward"]
    with pytest.raises(AirflowFailException) as info:
        check_params("forward", {"lookbak_days": 30}, _defaults(dag), _schemas(dag))
    message = str(info.value)
    assert "unknown trigger key(s) 'lookbak_days'" in message
    assert "lookback_days" in message and "pairing_neighbours" in message


def test_out_of_range_values_are_refused_again(dagbag):
    from airflow.sdk.exceptions import AirflowFailException

    from sarlake_plugins.conf import check_params

    dag = dagbag.dags["forward"]
    params = {**_defaults(dag), "lookback_days": 5000}
    with pytest.raises(AirflowFailException, match=r"lookback_days=5000: 5000 is greater than the maximum of 366"):
        check_params("forward", {"lookback_days": 5000}, params, _schemas(dag))
    check_params("forward", {"lookback_days": 30}, {**_defaults(dag), "lookback_days": 30}, _schemas(dag))


def test_qa_train_second_simulator_products_workers_and_class_thresholds_are_typed(dagbag):
    """The trigger form's second-simulator size (empty or a count, never negative), worker count (>= 1) and
    threshold switch (a boolean)."""
    from airflow.sdk.exceptions import AirflowFailException

    from sarlake_plugins.conf import check_params

    dag = dagbag.dags["qa_train"]
    check_params("qa_train", {"second_sim_products": 50}, {**_defaults(dag), "second_sim_products": 50},
                 _schemas(dag))
    check_params("qa_train", {}, _defaults(dag), _schemas(dag))
    with pytest.raises(AirflowFailException, match=r"second_sim_products=-1"):
        check_params("qa_train", {"second_sim_products": -1}, {**_defaults(dag), "second_sim_products": -1},
                     _schemas(dag))
    assert _defaults(dag)["fresh_scenes"] is None  # the train PGE's default
    with pytest.raises(AirflowFailException, match=r"fresh_scenes=-1"):
        check_params("qa_train", {"fresh_scenes": -1}, {**_defaults(dag), "fresh_scenes": -1}, _schemas(dag))
    assert _defaults(dag)["workers"] == 2
    with pytest.raises(AirflowFailException, match=r"workers=0"):
        check_params("qa_train", {"workers": 0}, {**_defaults(dag), "workers": 0}, _schemas(dag))
    assert _defaults(dag)["class_thresholds"] is True  # the train PGE's default
    with pytest.raises(AirflowFailException, match=r"class_thresholds='no'"):
        check_params("qa_train", {"class_thresholds": "no"}, {**_defaults(dag), "class_thresholds": "no"},
                     _schemas(dag))
