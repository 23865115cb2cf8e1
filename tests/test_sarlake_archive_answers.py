"""A delivery whose CNM-S the DAAC has not answered yet is in flight, not stopped; past the answer wait, unanswered.

`sarlake archive verify` (and `lake verify`) reported every delivery between the roll's notify and the DAAC's CNM-R
as "unfinished_transfer: delivery stopped after step notified; run `sarlake archive roll`" and exited 1: a monitor
running it alerted on every normal delivery, with a remedy that cannot make the DAAC answer; and a DAAC that never
answered looked the same as one that had not yet.
"""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from test_sarlake_archive import LATER, _make_products
from test_sarlake_archive import daac as daac_fixture
from test_sarlake_archive import lake as lake_fixture

lake, daac = lake_fixture, daac_fixture  # the fixtures: an initialised lake, and the simulated DAAC beside it


def test_a_delivery_is_in_flight_until_the_answer_wait_passes_then_named_with_where_its_cnm_went(lake, daac):
    from lake.archive_roll import run_roll
    from lake.archive_transfers import latest_transfers
    from lake.archive_verify import verify_archive
    from sarlake.cli import cli

    truth = _make_products(lake, 3)
    run_roll(lake, now=LATER)  # selected, copied, verified, notified: the DAAC has not answered yet
    waiting = latest_transfers(lake)
    assert {t.step for t in waiting.values()} == {"notified"}
    assert verify_archive(lake) == []
    assert CliRunner().invoke(cli, ["archive", "verify"]).exit_code == 0
    status = json.loads(CliRunner().invoke(cli, ["archive", "status", "--json"]).output)["waiting_for_daac"]
    assert (status["count"], status["unanswered"], status["answer_wait_hours"]) == (3, [], 24.0)
    one = sorted(truth)[0]
    attempts = CliRunner().invoke(cli, ["archive", "status", one]).output
    assert "notified" in attempts
    assert attempts.rstrip().endswith("(sent; waiting for the DAAC's answer)"), attempts

    sent = max(t.recorded_at for t in waiting.values())
    assert verify_archive(lake, now=sent + timedelta(hours=23, minutes=59)) == []
    late = verify_archive(lake, now=sent + timedelta(hours=24, minutes=1))
    assert sorted((f.kind, f.product_id) for f in late) == [("unanswered_delivery", p) for p in sorted(truth)]
    detail = late[0].detail
    assert "SARLAKE_DAAC__ANSWER_WAIT_HOURS=24" in detail
    assert f"receives the CNM-S ({lake.daac.outbox}) and answers to {lake.daac.inbox}" in detail

    daac.serve_folder()  # the DAAC answers (it refuses one product's first attempt), and the next roll hears it
    run_roll(lake, now=LATER)
    assert [f for f in verify_archive(lake, now=sent + timedelta(days=3)) if f.kind == "unanswered_delivery"] == []


def test_the_roll_warns_of_deliveries_past_the_answer_wait_but_not_of_those_answered_in_its_batch(
        lake, daac, monkeypatch, caplog):
    """The archive_roll DAG is where an operator looks: its receive step's log names the overdue deliveries."""
    import logging

    from lake.archive_roll import run_step
    from lake.settings import get_settings

    _make_products(lake, 2)
    for step in ("select", "copy", "verify", "notify"):
        run_step(step, lake, now=LATER)
    monkeypatch.setenv("SARLAKE_DAAC__ANSWER_WAIT_HOURS", "1e-9")  # every CNM-S sent is now overdue
    impatient = get_settings()
    with caplog.at_level(logging.WARNING, logger="lake.archive_messages"):
        run_step("receive", impatient, now=LATER)  # the DAAC has not answered
    (warning,) = [r.getMessage() for r in caplog.records]
    assert warning.startswith("2 deliveries wait for the DAAC's answer past SARLAKE_DAAC__ANSWER_WAIT_HOURS")
    assert f"answers to {impatient.daac.inbox}" in warning
    caplog.clear()
    daac.serve_folder()  # it answers both: nothing is left waiting
    with caplog.at_level(logging.WARNING, logger="lake.archive_messages"):
        run_step("receive", impatient, now=LATER)
    assert [r.getMessage() for r in caplog.records if "wait for the DAAC" in r.getMessage()] == []
