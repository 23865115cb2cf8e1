"""Shared fixtures: every test gets its own empty SARLAKE_HOME."""

from __future__ import annotations

import atexit
import base64
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"

# Airflow reads its home at import: give the test session its own, away from the developer's var/, and remove it
# when the process that made it exits (xdist workers inherit the controller's, which outlives them).
if "AIRFLOW_HOME" not in os.environ:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="sarlake-test-airflow-")
    atexit.register(shutil.rmtree, os.environ["AIRFLOW_HOME"], ignore_errors=True)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
# One OpenMP thread per process (the boosting models' fits; PGE and Airflow subprocesses inherit it), as `make train`
# does: `make test` runs a worker per core, so each worker's default of a thread per core oversubscribes the machine
# and libgomp's spinning threads then wait on each other: one OrdinalBoosting fit took 8-35 s instead of 1 s on
# 2 busy cores. The fits are the same to the bit (sklearn's histogram boosting does not depend on the thread count).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(ROOT / "plugins"))
# API tokens signed as `make up` signs them (scripts/jwt_secret.sh): 64 random bytes, not Airflow's 16-byte default
os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", base64.b64encode(os.urandom(64)).decode())


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
def sarlake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog_uri: str | None,
                 catalog_backend: str, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A fresh, empty lake root for this test (``SARLAKE_HOME``), on the test's catalogue and storage backend."""
    home = tmp_path / "sarlake"
    monkeypatch.setenv("SARLAKE_HOME", str(home))
    for key in list(os.environ):
        if key.startswith("SARLAKE_") and key != "SARLAKE_HOME":
            monkeypatch.delenv(key)
    if catalog_uri:
        monkeypatch.setenv("SARLAKE_CATALOG_URI", catalog_uri)
    if catalog_backend == "s3":
        for key, value in s3_lake_env(request.getfixturevalue("s3_server"), request.node.name).items():
            monkeypatch.setenv(key, value)
    yield home


@pytest.fixture
def settings(sarlake_home: Path):
    """Settings bound to the test's own ``SARLAKE_HOME``."""
    from lake.settings import get_settings

    return get_settings()


# --- PostgreSQL catalogue -------------------------------------------------------------------------------------
# The lake tests (tests/test_lake_*.py) run on both Iceberg catalogue databases: SQLite (the embedded default)
# and a real PostgreSQL server (production), started once per session by scripts/postgres.sh on a free port.
# Each test gets its own database. The server is skipped only when it cannot be started and
# SARLAKE_REQUIRE_POSTGRES is not set (CI sets it: there a missing server fails the run).
# A third variant, ``s3``, keeps the SQLite catalogue but puts the warehouse and the products on S3 (a moto
# server on 127.0.0.1, one per session, a fresh bucket per test). Modules ending in ``_s3`` set up S3
# themselves and tests that choose their backends (minutes-long concurrency runs) are left out of it.
CATALOG_BACKENDS = ("sqlite", "postgres", "s3")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules that hold slow tests first, each module's tests in their own order.

    `make test` hands whole modules to its two workers (``--dist loadfile``) in this order. Alphabetically the
    long end-to-end modules came last (test_timeseries_*, test_unwrap_*, test_urgent_*), so one worker ran the
    last of them while the other sat idle; started first, they are done while short modules fill the gaps.
    """
    slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow)  # stable: the rest keeps its order


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize every lake test that uses a lake home over the catalogue (and storage) backends."""
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    chosen = any("catalog_backend" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize"))
    if module.startswith("test_lake_") and "sarlake_home" in metafunc.fixturenames and not chosen:
        backends = [b for b in CATALOG_BACKENDS if b != "s3" or not module.endswith("_s3")]
        metafunc.fixturenames.append("catalog_backend")
        metafunc.parametrize("catalog_backend", backends, indirect=True)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URI (without database) of a PostgreSQL server for this session, e.g. ``postgresql+psycopg2://u@h:p``."""
    import subprocess

    folder = tmp_path_factory.mktemp("postgres")
    script = ROOT / "scripts" / "postgres.sh"
    proc = subprocess.run(["bash", str(script), "start", str(folder), "sarlake"], capture_output=True, text=True)
    if proc.returncode != 0:
        message = f"cannot start PostgreSQL with scripts/postgres.sh: {proc.stderr.strip()[-500:]}"
        if os.environ.get("SARLAKE_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    uri = proc.stdout.strip().splitlines()[-1]
    try:
        yield uri.rsplit("/", 1)[0]
    finally:
        subprocess.run(["bash", str(script), "destroy", str(folder)], capture_output=True)


def create_postgres_database(server: str, name: str) -> str:
    """Create database ``name`` on ``server`` (dropping an old one) and return its SQLAlchemy URI."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{server}/{name}"


@pytest.fixture
def catalog_backend(request: pytest.FixtureRequest) -> str:
    """The catalogue database of this test: ``sqlite`` (default), ``postgres``, or ``s3`` (SQLite, data on S3)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def catalog_uri(catalog_backend: str, request: pytest.FixtureRequest) -> str | None:
    """SQLAlchemy URI of this test's PostgreSQL catalogue database; None for SQLite (the default under home)."""
    if catalog_backend != "postgres":
        return None
    import re

    server = request.getfixturevalue("postgres_server")
    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[-50:] + f"_{os.getpid()}"
    return create_postgres_database(server, name)


# --- S3 storage (moto) ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Endpoint of a local S3 server (moto, 127.0.0.1, a free port) shared by this session's tests.

    It runs in its own process: requests do not compete with the test for this process's GIL, and tests that
    reset moto's in-process state (test_lake_sandbox_s3) do not touch it.
    """
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as endpoint:
        yield endpoint


@contextlib.contextmanager
def moto_server(log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run moto's server (127.0.0.1, a free port, its output to ``log_path``) until the block ends; its endpoint.

    ``env``: the server process's environment (default: this process's).
    """
    import subprocess
    import sys
    import time
    import urllib.request

    from ports import free_port

    port = free_port()
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"moto server exited {proc.returncode}: see {log.name}")
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def s3_lake_env(endpoint: str, test_name: str) -> dict[str, str]:
    """``SARLAKE_*``/``AWS_*`` variables putting a lake's warehouse and products in a new bucket of ``endpoint``."""
    import re
    import uuid

    import boto3

    bucket = (re.sub(r"[^a-z0-9-]", "-", test_name.lower())[:40].strip("-") + "-" + uuid.uuid4().hex[:8])
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=bucket)
    return {"SARLAKE_WAREHOUSE": f"s3://{bucket}/warehouse", "SARLAKE_PRODUCTS_ROOT": f"s3://{bucket}/products",
            "SARLAKE_S3__ENDPOINT": endpoint, "SARLAKE_S3__ACCESS_KEY_ID": "test",
            "SARLAKE_S3__SECRET_ACCESS_KEY": "test", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
