"""`sarlake lake verify [--repair] [--json]`: exit 0 only when the catalogue and storage agree."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from test_lake_verify import publish  # tests/ is on sys.path (pytest prepend mode)


def _cli(*args):
    from sarlake.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_verify_exit_codes_and_repair(settings) -> None:
    from lake.catalogue import catalogue_products

    assert _cli("init").exit_code == 0
    catalogue_products([publish(settings, "P0")], None, settings)
    ok = _cli("lake", "verify")
    assert ok.exit_code == 0 and "consistent" in ok.output, ok.output

    orphan = publish(settings, "P1")  # published, never catalogued
    bad = _cli("lake", "verify", "--json")
    assert bad.exit_code == 1
    doc = json.loads(bad.output)
    assert doc["consistent"] is False
    assert [(f["kind"], f["product_id"], f["path"]) for f in doc["findings"]] == [
        ("uncatalogued_product", "P1", orphan)]

    fixed = _cli("lake", "verify", "--repair", "--json")
    assert fixed.exit_code == 0, fixed.output
    assert json.loads(fixed.output)["repaired"]["catalogued"] == ["P1"]

    Path(orphan).with_name("unw.tif").write_bytes(b"bit rot")
    rot = _cli("lake", "verify", "--repair")
    assert rot.exit_code == 1 and "checksum_mismatch" in rot.output  # not repairable: still reported
    assert _cli("lake", "verify", "--no-checksums").exit_code == 0
