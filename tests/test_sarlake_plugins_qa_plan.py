"""The qa DAG's planning task on a lake without a champion: nothing to score is a skip, products to score a stop."""

from __future__ import annotations

import pytest


def test_an_empty_lake_needs_no_champion_but_its_first_interferogram_does(settings):
    """Runs that made nothing still send a `products` Asset event (a forward run with no AOI, an archive roll), and
    each made the qa DAG fail on a fresh `make up` for want of a champion it had nothing to score with."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from lake.catalog import init_lake
    from lake.write import upsert
    from sarlake_plugins.qa import plan_scoring

    init_lake(settings)
    with pytest.raises(AirflowSkipException, match="no new interferogram to score"):
        plan_scoring({})
    upsert("products", [{"product_id": "IFG1", "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}],
           settings)
    with pytest.raises(AirflowFailException, match="no 'champion' version of the QA model 'sarlake-qa-uwe'"):
        plan_scoring({})


def test_a_real_check_manifest_that_does_not_exist_stops_qa_train_before_any_simulation(settings, tmp_path):
    """It failed only in the train task, after the labelled set, its simulated tags and rows had been written."""
    from airflow.sdk.exceptions import AirflowFailException

    from sarlake_plugins.qa import plan_training_set

    with pytest.raises(AirflowFailException, match=rf"^real check manifest {tmp_path}/nope.csv does not exist "
                                                   r"\(the qa_train DAG's real_check, SARLAKE_QA_REAL_CHECK\)$"):
        plan_training_set({"scenes": 20, "first_scene": 0, "real_check": str(tmp_path / "nope.csv")}, {})
