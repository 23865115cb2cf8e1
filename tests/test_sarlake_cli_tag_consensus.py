"""`sarlake tag consensus`: a scientist reads a product's consensus from the CLI, as the REST API and the browse UI
show it (before, only `sarlake sql` on tag_consensus did), and `tag add` says what the new tag made of it."""

from __future__ import annotations

import json

from click.testing import CliRunner


def _cli(*args: str):
    from sarlake.cli import cli

    return CliRunner().invoke(cli, list(args))


def test_the_consensus_of_a_product_is_its_raters_majority_and_says_how_many_agree(settings) -> None:
    from lake.catalog import init_lake
    from lake.write import upsert

    init_lake(settings)
    upsert("products", [{"product_id": p, "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}
                        for p in ("P1", "P2")], settings)
    first = _cli("tag", "add", "P1", "UWE_2", "TNT_1", "--user", "ann")
    assert first.exit_code == 0, first.output
    assert "now UWE: UWE_2 from 1 rater(s), agreement 1.00" in first.output
    assert "now TNT: TNT_1 from 1 rater(s)" in first.output
    assert _cli("tag", "add", "P1", "UWE_2", "--user", "bob").exit_code == 0
    third = _cli("tag", "add", "P1", "UWE_0", "--user", "cy")
    assert "now UWE: " in third.output and "TNT" not in third.output  # only the types just tagged

    out = _cli("tag", "consensus", "P1", "--json")
    assert out.exit_code == 0, out.output
    rows = {r["tag_type"]: r for r in map(json.loads, out.output.splitlines())}
    assert set(rows) == {"TNT", "UWE"}
    # ann and bob said UWE_2, cy UWE_0: two of three agree on the majority
    assert (rows["UWE"]["raters"], rows["UWE"]["majority_intensity"]) == (3, 2)
    assert abs(rows["UWE"]["agreement"] - 2 / 3) < 1e-6
    assert (rows["TNT"]["raters"], rows["TNT"]["intensity"], rows["TNT"]["agreement"]) == (1, 1, 1.0)
    text = _cli("tag", "consensus", "P1").output.splitlines()
    assert [line.split(":")[0] for line in text] == ["TNT", "UWE"]
    assert "from 3 rater(s), agreement 0.67 (majority UWE_2" in text[1]

    untagged = _cli("tag", "consensus", "P2")
    assert untagged.exit_code == 0 and "no tags on P2 yet" in untagged.output
    assert "no tags on P2 yet" in _cli("tag", "list", "P2").output
    unknown = _cli("tag", "consensus", "NOPE")
    assert unknown.exit_code == 2 and "product 'NOPE' is not in the lake" in unknown.output


def test_an_imported_comment_with_a_line_break_is_kept_and_listed_on_one_line(settings, tmp_path) -> None:
    """A spreadsheet cell's line break was dropped on import; listed, it would have broken the tag's line."""
    from lake.catalog import init_lake
    from lake.write import upsert

    init_lake(settings)
    upsert("products", [{"product_id": "P1", "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}],
           settings)
    f = tmp_path / "tags.csv"
    f.write_bytes(b'Product_ID;Tag;User;Comment\r\nP1;UWE_1;ann;"cut at the coast\r\nsee NE corner"\r\n')
    out = _cli("tag", "import", str(f))
    assert out.exit_code == 0, out.output
    assert "1 tags read" in out.output
    listed = _cli("tag", "list", "P1").output.splitlines()
    assert len(listed) == 1
    assert listed[0].endswith("  cut at the coast / see NE corner")
    (row,) = map(json.loads, _cli("tag", "list", "P1", "--json").output.splitlines())
    assert row["comment"] == "cut at the coast\nsee NE corner"  # read as text: the break as Python writes it
