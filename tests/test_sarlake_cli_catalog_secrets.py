"""The catalogue's password never reaches a message: PostgreSQL's URI carries it, and errors named the URI whole.

`sarlake tables` or `sarlake init` against a PostgreSQL catalogue that does not answer printed
``cannot open the Iceberg catalogue at postgresql+psycopg2://sarlake:<password>@...``, on the terminal and, from a
DAG task, in Airflow's task logs. Port 9 (discard) on 127.0.0.1 refuses the connection at once.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

PASSWORD = "s3cret-Kx9"
URI = f"postgresql+psycopg2://sarlake:{PASSWORD}@127.0.0.1:9/lake"


COMMANDS = [["tables"], ["init"], ["ingest", "tests"], ["sql", "SELECT count(*) FROM products"]]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_catalogue_that_does_not_answer_is_named_without_its_password(settings, monkeypatch, command):
    from sarlake.cli import cli

    monkeypatch.setenv("SARLAKE_CATALOG_URI", URI)
    result = CliRunner().invoke(cli, command)
    assert result.exit_code != 0, result.output
    assert PASSWORD not in result.output
    assert "postgresql+psycopg2://sarlake:***@127.0.0.1:9/lake" in result.output


def test_shown_uri_hides_the_password_in_the_uri_and_in_a_drivers_text():
    from lake.settings import shown_uri

    assert shown_uri(URI) == "postgresql+psycopg2://sarlake:***@127.0.0.1:9/lake"
    assert shown_uri(URI, f'password authentication failed for "{PASSWORD}"') == \
        'password authentication failed for "***"'
    assert shown_uri("sqlite:////tmp/lake/catalog.db") == "sqlite:////tmp/lake/catalog.db"
    assert shown_uri("not a uri", "some error") == "some error"
