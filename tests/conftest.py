"""Shared fixtures: every test gets its own empty SARLAKE_HOME."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"

# Airflow reads its home at import: give the test session its own, away from the developer's var/.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="sarlake-test-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(ROOT / "plugins"))


def _sarlake_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("SARLAKE_")}


@pytest.fixture(autouse=True, scope="module")
def _module_restores_sarlake_env() -> Iterator[None]:
    """A test module that changes ``SARLAKE_*`` variables (e.g. ``SARLAKE_HOME``) must restore them."""
    before = _sarlake_env()
    yield
    assert _sarlake_env() == before, "this module changed SARLAKE_* variables without restoring them (monkeypatch)"


@pytest.fixture(autouse=True)
def _test_restores_sarlake_env() -> Iterator[None]:
    """A test that changes ``SARLAKE_*`` variables must restore them (use ``monkeypatch.setenv``)."""
    before = _sarlake_env()
    yield
    assert _sarlake_env() == before, "this test changed SARLAKE_* variables without restoring them (monkeypatch)"


@pytest.fixture
def sarlake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty lake root for this test (``SARLAKE_HOME``)."""
    home = tmp_path / "sarlake"
    monkeypatch.setenv("SARLAKE_HOME", str(home))
    for key in list(os.environ):
        if key.startswith("SARLAKE_") and key != "SARLAKE_HOME":
            monkeypatch.delenv(key)
    yield home


@pytest.fixture
def settings(sarlake_home: Path):
    """Settings bound to the test's own ``SARLAKE_HOME``."""
    from lake.settings import get_settings

    return get_settings()
