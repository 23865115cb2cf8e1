"""`sarlake qa train` on a lake that was never initialised stops at once, before minutes of simulation.

It used to simulate the whole labelled set (6.5 min for `make train`'s 420 scenes) and only then fail on the
missing `user_tags` table, losing that work.
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner


def test_training_on_an_uninitialised_lake_fails_before_simulating_naming_sarlake_init(tmp_path, monkeypatch):
    import sarlake.workflows.pge as pge_workflow
    from sarlake.cli import cli

    for key in list(os.environ):
        if key.startswith("SARLAKE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "home"))
    simulated = []
    monkeypatch.setattr(pge_workflow, "run_pge", lambda *a, **k: simulated.append(a) or pytest.fail("simulated"))
    result = CliRunner().invoke(cli, ["qa", "train", "--scenes", "2"])
    assert result.exit_code == 2, result.output
    assert "user_tags does not exist" in result.output
    assert "run `sarlake init`" in result.output
    assert simulated == []
