from __future__ import annotations

import pytest

from lake.tag_csv import read_tags_csv
from lake.tags import TAG_TYPES, Tag, TagError, parse_tag, valid_tags


def test_vocabulary_is_arias_eleven_types_at_four_intensities():
    assert list(TAG_TYPES) == ["UWE", "TNS", "TNT", "ION", "ORB", "DME", "PML", "PMR", "PCE", "RFI", "COH"]
    assert len(valid_tags()) == 44
    assert parse_tag("uwe_0") == ("UWE", 0) and parse_tag("COH_3") == ("COH", 3)


@pytest.mark.parametrize("bad", ["UWE_4", "XYZ_1", "UWE", "UWE-2", "", "UWE_-1"])
def test_unknown_tags_are_refused_with_the_list_of_valid_tags(bad):
    with pytest.raises(TagError, match="valid tags: UWE_0, UWE_1"):
        parse_tag(bad)


def test_a_long_unknown_tag_is_named_by_its_start_and_length_not_echoed_whole():
    with pytest.raises(TagError) as refused:
        parse_tag("UWE_2" + "x" * 5000)
    assert "5,005 characters" in str(refused.value) and len(str(refused.value)) < 600


def test_a_tag_needs_a_valid_user_and_source():
    with pytest.raises(TagError, match="user name"):
        Tag.of("P1", "UWE_1", "bad user; drop")
    with pytest.raises(TagError, match="source"):
        Tag.of("P1", "UWE_1", "ann", source="robot")


def test_tags_are_upserted_per_product_user_and_type(settings):
    from lake.catalog import init_lake
    from lake.tags import add_tags, list_tags
    from lake.write import upsert

    init_lake(settings)
    upsert("products", [{"product_id": "P1", "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}],
           settings)
    add_tags([Tag.of("P1", "UWE_1", "ann"), Tag.of("P1", "TNT_2", "ann"), Tag.of("P1", "UWE_3", "bob")], settings)
    add_tags([Tag.of("P1", "UWE_2", "ann", comment="looked again")], settings)  # replaces ann's UWE_1
    tags = {(r["user"], r["tag"]) for r in list_tags("P1", settings)}
    assert tags == {("ann", "UWE_2"), ("ann", "TNT_2"), ("bob", "UWE_3")}
    with pytest.raises(TagError, match="'NOPE' is not in the lake"):
        add_tags([Tag.of("NOPE", "UWE_0", "ann")], settings)


def test_tag_csv_names_the_line_of_a_bad_tag(tmp_path):
    f = tmp_path / "tags.csv"
    f.write_text("product_id,tag,user\nP1,UWE_2,ann\nP2,UWE_9,bob\n")
    with pytest.raises(TagError, match=r"tags.csv line 3: unknown tag 'UWE_9'"):
        read_tags_csv(f)
    f.write_text("product_id,tag\nP1,UWE_2\n")
    assert read_tags_csv(f, default_user="carol")[0].user == "carol"
    with pytest.raises(TagError, match="no user"):
        read_tags_csv(f)


def test_one_batch_may_not_give_a_product_two_intensities_of_one_type_from_one_user(settings, tmp_path):
    """`tag add P UWE_2 UWE_3` printed both and stored only UWE_3; an import's later row replaced an earlier one
    silently. The same tag twice, or two types, stay fine."""
    from lake.catalog import init_lake
    from lake.tags import add_tags, list_tags
    from lake.write import upsert

    init_lake(settings)
    upsert("products", [{"product_id": "P1", "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}],
           settings)
    with pytest.raises(TagError, match=r"^ann gives P1 both UWE_2 and UWE_3; a user holds one UWE intensity per "
                                       r"product: keep one$"):
        add_tags([Tag.of("P1", "UWE_2", "ann"), Tag.of("P1", "UWE_3", "ann")], settings)
    f = tmp_path / "tags.csv"
    f.write_text("product_id,tag,user\nP1,UWE_1,ann\nP1,TNT_1,ann\nP1,UWE_1,ann\nP1,UWE_1,bob\nP1,UWE_3,ann\n")
    with pytest.raises(TagError, match=rf"^{f} lines 2 and 6: ann gives P1 both UWE_1 and UWE_3"):
        add_tags(read_tags_csv(f), settings)
    assert list_tags("P1", settings) == []  # nothing of either batch was stored
    assert add_tags([Tag.of("P1", "UWE_2", "ann"), Tag.of("P1", "UWE_2", "ann"), Tag.of("P1", "TNT_1", "ann")],
                    settings) == 2


def test_an_imported_tag_on_a_product_not_in_the_lake_names_its_line(settings, tmp_path):
    from lake.catalog import init_lake
    from lake.tags import add_tags
    from lake.write import upsert

    init_lake(settings)
    upsert("products", [{"product_id": "P1", "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}],
           settings)
    f = tmp_path / "tags.csv"
    f.write_text("product_id,tag,user\nP1,UWE_1,ann\nNOPE,UWE_2,ann\nP1,TNT_1,ann\n")
    with pytest.raises(TagError, match=rf"^{f} line 3: product 'NOPE' is not in the lake"):
        add_tags(read_tags_csv(f), settings)
    f.write_bytes(b"\xce\xbb\xff\xfe")
    with pytest.raises(TagError, match=rf"^tag file {f} is not a UTF-8 CSV text file$"):
        read_tags_csv(f)


def test_listing_the_tags_of_a_product_not_in_the_lake_says_so(settings):
    """`sarlake tag list NOPE` printed nothing and exited 0, as for a product nobody has tagged yet."""
    from lake.catalog import init_lake
    from lake.tags import list_tags
    from lake.write import upsert

    init_lake(settings)
    upsert("products", [{"product_id": "P1", "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}],
           settings)
    assert list_tags("P1", settings) == []
    with pytest.raises(TagError, match="product 'NOPE' is not in the lake"):
        list_tags("NOPE", settings)


def test_a_comment_over_the_limit_is_refused_by_its_length_without_echoing_it(settings, tmp_path):
    """The API's body model refused a long comment with a 422 that echoed the whole text back, and `sarlake tag
    add --comment` and a CSV import stored any length. One limit now holds for every way in; the message gives
    the limit and the comment's length, never its text."""
    from click.testing import CliRunner

    from lake.catalog import init_lake
    from lake.tags import list_tags
    from lake.write import upsert
    from sarlake.cli import cli

    assert Tag.of("P1", "UWE_1", "ann", "x" * 2000).comment == "x" * 2000  # the limit itself is fine
    long = "island NE " * 201  # 2,010 characters
    with pytest.raises(TagError) as refused:
        Tag.of("P1", "UWE_1", "ann", long)
    assert str(refused.value) == "a comment is at most 2,000 characters; this one has 2,010"
    init_lake(settings)
    upsert("products", [{"product_id": "P1", "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}],
           settings)
    out = CliRunner().invoke(cli, ["tag", "add", "P1", "UWE_1", "--user", "ann", "--comment", long])
    assert out.exit_code == 2 and "a comment is at most 2,000 characters; this one has 2,010" in out.output
    assert "island" not in out.output
    f = tmp_path / "tags.csv"
    f.write_text(f"product_id,tag,user,comment\nP1,UWE_1,ann,ok\nP1,TNT_1,ann,{long}\n")
    with pytest.raises(TagError, match=rf"^{f} line 3: a comment is at most 2,000 characters; this one has 2,010$"):
        read_tags_csv(f)
    assert list_tags("P1", settings) == []


def test_tag_csv_as_spreadsheets_write_it(tmp_path):
    """A comment with a line break (Alt+Enter in a cell) lost it ("first linesecond line") and shifted the line
    numbers of later rows; a semicolon-separated export or a header in other letter case was refused."""
    f = tmp_path / "tags.csv"
    f.write_bytes('\ufeffProduct_ID;Tag;User;Comment\r\nP1;UWE_2;ann;"fringes cut\r\nat the coast; 2,5 cycles"\r\n'
                  '\r\nP2;TNT_1;ann;\r\nP3;UWE_9;bob;\r\n'.encode())
    with pytest.raises(TagError, match=r"tags.csv line 6: unknown tag 'UWE_9'"):
        read_tags_csv(f)
    f.write_text("product_id;tag;user;comment\nP1;UWE_2;ann;\"fringes cut\nat the coast; 2,5 cycles\"\n\n"
                 "P2;TNT_1;ann;\n")
    tags = read_tags_csv(f)
    assert [(t.product_id, t.tag_type, t.intensity, t.user) for t in tags] == [("P1", "UWE", 2, "ann"),
                                                                               ("P2", "TNT", 1, "ann")]
    assert tags[0].comment == "fringes cut\nat the coast; 2,5 cycles"
    assert [t.origin for t in tags] == [(str(f), 2), (str(f), 5)]
    f.write_text("tag\tproduct_id\nCOH_3\tP4\n")
    assert [(t.product_id, t.tag_type, t.user) for t in read_tags_csv(f, default_user="cy")] == [("P4", "COH", "cy")]


def test_an_import_names_every_bad_row_at_once(settings, tmp_path):
    """A CSV with several bad rows was refused at the first, so a 500-row file took a run per mistake. Every bad
    row is now named by its line in one error, the rule of a valid tag once, and nothing is stored."""
    from lake.catalog import init_lake
    from lake.tags import add_tags, list_tags
    from lake.write import upsert

    f = tmp_path / "tags.csv"
    f.write_text("product_id,tag,user\nP1,UWE_1,ann\nP1,TNT_9,ann\nP1,UWE_1,\nP1,XYZ_1,bob\nP1,UWE_2,bob\n")
    with pytest.raises(TagError) as refused:
        read_tags_csv(f)
    message = str(refused.value)
    assert message.startswith(f"{f}: 3 rows are not valid tags, so none was imported: line 3: unknown tag 'TNT_9'; "
                              "line 4: no user (add a user column or pass --user); line 5: unknown tag 'XYZ_1'; "
                              "a tag is TYPE_INTENSITY with TYPE one of UWE,")
    assert message.count("valid tags: UWE_0") == 1
    assert message.endswith("COH_3)")

    f.write_text("product_id,tag,user\n" + "".join(f"P1,UWE_{9 + i},ann\n" for i in range(25)))
    with pytest.raises(TagError, match=r": 25 rows are not valid .* line 21: unknown tag 'UWE_28'; and 5 more; a tag"):
        read_tags_csv(f)

    init_lake(settings)
    upsert("products", [{"product_id": "P1", "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}],
           settings)
    f.write_text("product_id,tag,user\nNOPE,UWE_1,ann\nP1,UWE_1,ann\nALSO,UWE_1,ann\nNOPE,TNT_1,ann\n")
    with pytest.raises(TagError, match=rf"^{f}: 2 products are not in the lake: 'NOPE' \(line 2\), 'ALSO' \(line 4\) "
                                       r"\(see `sarlake sql"):
        add_tags(read_tags_csv(f), settings)
    assert list_tags("P1", settings) == []
