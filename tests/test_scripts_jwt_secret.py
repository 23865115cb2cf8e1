"""scripts/jwt_secret.sh: the secret `make up`'s Airflow signs API tokens with, judged by PyJWT's own key check."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import warnings
from pathlib import Path

import jwt
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "jwt_secret.sh"


def _signing_warnings(secret: str) -> list[str]:
    """PyJWT's warnings when a token is signed and checked with ``secret`` by HS512, as Airflow's API server does."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        token = jwt.encode({"sub": "admin"}, secret, algorithm="HS512")
        assert jwt.decode(token, secret, algorithms=["HS512"]) == {"sub": "admin"}
    return [str(w.message) for w in caught if issubclass(w.category, jwt.InsecureKeyLengthWarning)]


def test_the_secret_is_made_once_for_its_owner_only_and_is_long_enough_for_hs512(tmp_path):
    home = tmp_path / "airflow"
    first = subprocess.run(["bash", str(SCRIPT), str(home)], capture_output=True, text=True, check=True).stdout
    again = subprocess.run(["bash", str(SCRIPT), str(home)], capture_output=True, text=True, check=True).stdout
    assert first == again  # tokens signed before a restart stay valid after it
    assert len(base64.b64decode(first, validate=True)) == 64  # RFC 7518 3.2: at least the hash's 512 bits
    assert stat.S_IMODE(os.stat(home / "jwt_secret").st_mode) == 0o600
    assert _signing_warnings(first) == []
    # what Airflow makes when none is set (airflow.configuration: b64encode(os.urandom(16))): PyJWT flags it
    default = base64.b64encode(os.urandom(16)).decode()
    assert any("below the minimum recommended length of 64 bytes" in m for m in _signing_warnings(default))


def test_another_home_gets_another_secret_and_no_home_is_a_usage_error(tmp_path):
    one = subprocess.run(["bash", str(SCRIPT), str(tmp_path / "a")], capture_output=True, text=True, check=True)
    two = subprocess.run(["bash", str(SCRIPT), str(tmp_path / "b")], capture_output=True, text=True, check=True)
    assert one.stdout != two.stdout
    bad = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True)
    assert bad.returncode != 0
    assert "usage: scripts/jwt_secret.sh AIRFLOW_HOME" in bad.stderr


@pytest.mark.parametrize("line", ['AIRFLOW__API_AUTH__JWT_SECRET=$(bash scripts/jwt_secret.sh "$AIRFLOW_HOME")',
                                  'if [ -z "${AIRFLOW__API_AUTH__JWT_SECRET:-}" ]; then'])
def test_make_up_uses_it_unless_the_environment_sets_one(line):
    assert line in (SCRIPT.parent / "up.sh").read_text()
