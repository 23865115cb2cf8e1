from __future__ import annotations

import pytest

from lake.consensus import consensus_rows, majority


def test_majority_breaks_ties_towards_the_higher_intensity():
    assert majority([0, 0, 1]) == (0, 2 / 3)
    assert majority([1, 2]) == (2, 0.5)


def test_consensus_is_stored_with_raters_and_agreement(settings):
    from lake.catalog import init_lake
    from lake.consensus import refresh_consensus
    from lake.query import connect
    from lake.write import upsert

    init_lake(settings)
    tags = [{"product_id": p, "user": u, "tag_type": "UWE", "intensity": i, "source": "human"}
            for p, u, i in [("A", "ann", 2), ("A", "bob", 2), ("A", "cy", 0), ("B", "ann", 1), ("B", "bob", 1)]]
    upsert("user_tags", tags, settings)
    assert refresh_consensus(settings) == 2
    rows = connect(settings).sql("SELECT product_id, majority_intensity, raters, agreement FROM tag_consensus "
                                 "ORDER BY 1").fetchall()
    assert [(r[0], r[1], r[2], round(r[3], 3)) for r in rows] == [("A", 2, 3, 0.667), ("B", 1, 2, 1.0)]
    assert {c["product_id"]: c["intensity"] for c in consensus_rows(tags)}["B"] == 1


_FIT = [("A", "ann", 0), ("A", "bob", 0), ("A", "cy", 1), ("B", "ann", 1), ("B", "bob", 1), ("B", "cy", 1),
        ("C", "ann", 0), ("C", "bob", 1), ("C", "cy", 0), ("D", "ann", 0), ("D", "bob", 0), ("D", "cy", 0)]


def _tags(rows):
    return [{"product_id": p, "user": u, "tag_type": "UWE", "intensity": i, "source": "human"} for p, u, i in rows]


def _confusion(settings):
    from lake.catalog import load_table

    return load_table("rater_confusion", settings).scan().to_arrow().to_pylist()


def test_a_refit_stores_each_raters_confusion_and_a_new_tag_is_labelled_without_one(settings):
    from lake.catalog import init_lake, load_table
    from lake.consensus import refresh_consensus, update_consensus
    from lake.write import upsert

    init_lake(settings)
    upsert("user_tags", _tags(_FIT), settings)
    refresh_consensus(settings)
    cells = _confusion(settings)
    assert len(cells) == 3 * 2 * 4  # 3 raters x true 0-1 x tagged 0-3
    for user in ("ann", "bob", "cy"):
        for true in (0, 1):
            mine = [c for c in cells if c["user"] == user and c["true_intensity"] == true]
            assert sum(c["probability"] for c in mine) == pytest.approx(1.0)
            assert {c["tags"] for c in mine} == {4}
    assert sum({c["true_intensity"]: c["prior"] for c in cells}.values()) == pytest.approx(1.0)

    upsert("user_tags", _tags([("E", "ann", 1), ("E", "bob", 1), ("E", "dee", 0)]), settings)
    assert update_consensus({"E"}, ("UWE",), settings) == 1
    assert _confusion(settings) == cells  # labelled from the stored fit: nothing refitted
    rows = {r["product_id"]: r for r in load_table("tag_consensus", settings).scan().to_arrow().to_pylist()}
    assert sorted(rows) == ["A", "B", "C", "D", "E"]
    e = rows["E"]
    assert (e["raters"], e["majority_intensity"], e["intensity"]) == (3, 1, e["ds_intensity"])  # they disagree
    assert 0.5 <= e["ds_confidence"] <= 1.0

    # UWE_3 was never given in the fit: the model cannot place it, so the type is refitted
    upsert("user_tags", _tags([("F", "ann", 3), ("F", "bob", 1)]), settings)
    update_consensus({"F"}, ("UWE",), settings)
    refitted = _confusion(settings)
    latest = max(c["fitted_at"] for c in refitted)
    assert latest > cells[0]["fitted_at"]
    assert {c["true_intensity"] for c in refitted if c["fitted_at"] == latest} == {0, 1, 3}
    assert {c["user"] for c in refitted if c["fitted_at"] == latest} == {"ann", "bob", "cy", "dee"}


def test_cli_tag_add_and_refit(settings):
    from click.testing import CliRunner

    from lake.catalog import init_lake
    from lake.write import upsert
    from sarlake.cli import cli

    init_lake(settings)
    upsert("products", [{"product_id": p, "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}
                        for p in "ABCDE"], settings)
    upsert("user_tags", _tags(_FIT), settings)
    runner = CliRunner()
    out = runner.invoke(cli, ["tag", "refit", "--type", "XYZ"])
    assert out.exit_code == 2 and "unknown tag type 'XYZ' in --type; valid types: UWE, TNS" in out.output
    out = runner.invoke(cli, ["tag", "refit", "--type", "uwe"])
    assert out.exit_code == 0 and out.output.startswith("consensus refitted for UWE: 4 rows"), out.output
    out = runner.invoke(cli, ["tag", "add", "E", "UWE_1", "--user", "ann", "--comment", "island"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0] == "E: UWE_1 by ann"
    # then the product's consensus of the type just tagged: one rater, so the majority is the label
    assert len(out.output.splitlines()) == 2
    assert out.output.splitlines()[1].startswith("  now UWE: UWE_1 from 1 rater(s), agreement 1.00 (majority UWE_1")
    out = runner.invoke(cli, ["tag", "add", "E", "UWE_7", "--user", "ann"])
    assert out.exit_code == 2 and "valid tags: UWE_0" in out.output


def test_a_tie_in_dawid_skene_goes_to_the_majority_not_the_lower_intensity(settings):
    """A young lake: two raters disagree on the only product, so the fit cannot tell them apart and its posterior
    is 0.5 / 0.5. A third rater the fit never saw (read through the pooled matrix, which is as uninformative)
    agrees with the first. Bayes' rule by hand gives a tie at both steps; the majority is UWE_2 both times."""
    from lake.catalog import init_lake, load_table
    from lake.consensus import refresh_consensus, update_consensus
    from lake.write import upsert

    init_lake(settings)
    upsert("user_tags", _tags([("A", "bob", 1), ("A", "ann", 2)]), settings)  # crowd-kit orders labels as met
    refresh_consensus(settings)
    row = load_table("tag_consensus", settings).scan().to_arrow().to_pylist()[0]
    assert (row["majority_intensity"], row["ds_intensity"], row["intensity"]) == (2, 2, 2)
    assert row["ds_confidence"] == pytest.approx(0.5)

    upsert("user_tags", _tags([("A", "cy", 2)]), settings)
    update_consensus({"A"}, ("UWE",), settings)
    row = load_table("tag_consensus", settings).scan().to_arrow().to_pylist()[0]
    assert (row["raters"], row["majority_intensity"], row["ds_intensity"], row["intensity"]) == (3, 2, 2, 2)
    assert row["ds_confidence"] == pytest.approx(0.5)


def test_most_probable_prefers_the_majority_among_tied_labels_and_the_higher_without_one():
    import numpy as np

    from lake.rater_model import most_probable

    assert most_probable((0, 1, 2), np.array([0.2, 0.4, 0.4]), prefer=1) == (1, 0.4)
    assert most_probable((0, 1, 2), np.array([0.2, 0.4, 0.4]), prefer=0) == (2, 0.4)
    assert most_probable((0, 1, 2), np.array([0.1, 0.6, 0.3]), prefer=2) == (1, 0.6)
