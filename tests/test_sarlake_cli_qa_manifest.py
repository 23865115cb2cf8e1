"""`sarlake qa score --manifest`: the CSV as other tools write it, and what it says about one it cannot use."""

from __future__ import annotations

import pytest
from click.testing import CliRunner


def test_a_spreadsheet_csv_with_a_byte_order_mark_and_upper_case_header_reads_as_written(tmp_path):
    """Excel's "CSV UTF-8" starts with a byte-order mark; it was read as part of the first column's name, and the
    manifest refused as having no `unw` column."""
    from sarlake.cli.qa import _manifest

    path = tmp_path / "m.csv"
    path.write_text("UNW,Coherence,DEM\r\na.tif,a_coh.tif,\r\n/abs/b.tif,,\r\n,,\r\n", encoding="utf-8-sig")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert _manifest(str(path)) == ({(2, 2): (str(tmp_path / "a.tif"), str(tmp_path / "a_coh.tif"), None),
                                     (3, 3): ("/abs/b.tif", None, None), (4, 4): ("", None, None)}, "")


def test_an_empty_unw_cell_is_named_as_such_not_as_the_manifests_folder():
    from pges.errors import InputValidationError
    from pges.qa.score import read_files

    with pytest.raises(InputValidationError, match=r"^no unwrapped phase file named \(its unw column is empty\)$"):
        read_files("")


@pytest.mark.parametrize(("content", "says"), [
    (b"unw,coherence,dem\n", "lists no product under its header"),
    (b"", "is empty"),
    (b"unw;coherence;dem\nx.tif;;\n", "needs a header line naming the columns unw, coherence, dem; its first line "
                                      "is 'unw;coherence;dem'"),
    (b"\xce\xbb\xff\xfe\x00", "is not a UTF-8 CSV text file"),
])
def test_a_manifest_it_cannot_use_exits_2_naming_the_option_the_file_and_why(tmp_path, content, says):
    from sarlake.cli import cli

    path = tmp_path / "m.csv"
    path.write_bytes(content)
    out = CliRunner().invoke(cli, ["qa", "score", "--manifest", str(path)])
    assert out.exit_code == 2
    assert f"Invalid value for '--manifest': manifest {path} {says}" in out.output


def test_a_row_with_more_fields_than_the_header_exits_2_naming_the_file_line_and_option(tmp_path):
    """A fourth field under a three-column header was dropped without a word (csv.DictReader's restkey)."""
    from sarlake.cli import cli

    path = tmp_path / "m.csv"
    path.write_text("unw,coherence,dem\na.tif,,\n\"b,1.tif\",,,extra\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["qa", "score", "--manifest", str(path)])
    assert out.exit_code == 2, out.output
    assert (f"Invalid value for '--manifest': manifest {path} line 3 has 4 fields, more than the 3 columns "
            "of its header (unw, coherence, dem)") in " ".join(out.output.split())


def test_a_path_that_does_not_exist_exits_2_naming_the_option_not_1_as_an_os_fault(tmp_path):
    """Click's own check of a path option was caught as an OSError's context and reported with exit 1 (retry)."""
    from sarlake.cli import cli

    out = CliRunner().invoke(cli, ["timeseries", "sydney", "--gnss", str(tmp_path / "nope.tenv3")])
    assert out.exit_code == 2
    assert f"Invalid value for '--gnss': File '{tmp_path / 'nope.tenv3'}' does not exist." in out.output
    out = CliRunner().invoke(cli, ["ingest", str(tmp_path / "nope.unw")])
    assert out.exit_code == 2 and "Path" in out.output and "does not exist" in out.output


def test_a_row_that_cannot_be_read_is_named_by_its_line_in_the_file_blank_lines_counted(tmp_path):
    """Lines were counted as row index + 2, so the blank lines csv skips moved every later line number up."""
    from sarlake.cli import cli

    path = tmp_path / "m.csv"
    path.write_text("unw,coherence,dem\n\na.unw,,\n\n\r\nb.unw,,\n", encoding="utf-8")  # rows on lines 3 and 6
    out = CliRunner().invoke(cli, ["qa", "score", "--manifest", str(path)])
    assert out.exit_code == 2, out.output
    errors = out.stderr.strip().splitlines()
    assert errors[:2] == [f"error: {path} line 3: {tmp_path / 'a.unw'}: file does not exist",
                          f"error: {path} line 6: {tmp_path / 'b.unw'}: file does not exist"]
    assert f"2 of 2 products in {path} not scored (lines 3, 6, errors above)" in " ".join(errors[2].split())
    # a form feed or a Unicode line separator inside a field breaks no line of a CSV file (str.splitlines broke both)
    path.write_text("unw,coherence,dem\n\"a\x0cb.unw\",,\"x\u2028y.tif\"\nb.unw,,\n", encoding="utf-8")
    errors = [e for e in CliRunner().invoke(cli, ["qa", "score", "--manifest", str(path)]).stderr.split("\n")
              if e.startswith("error: ")]
    assert [e.split(": ")[1] for e in errors[:2]] == [f"{path} line 2", f"{path} line 3"], errors


def test_a_row_whose_quoted_field_spans_lines_is_named_by_the_lines_it_starts_and_ends_on(tmp_path):
    """A quoted field with line breaks was reported at the line where its row ends (the csv reader's line_num):
    the error pointed below the row, at the next one's path or a blank line."""
    from sarlake.cli import cli

    path = tmp_path / "m.csv"
    content = b'unw,coherence,dem\n\na.unw,,"x\ny\r\nz.tif"\nb.unw,"e\rf.tif",\n\n"g.unw",,,\nh.unw,"i\nj"\n'
    path.write_bytes(content)  # rows on lines 3-5, 6-7, 9 (with four fields) and 10-11
    out = CliRunner().invoke(cli, ["qa", "score", "--manifest", str(path)])
    assert out.exit_code == 2, out.output
    assert f"manifest {path} line 9 has 4 fields" in " ".join(out.output.split())
    path.write_bytes(content.replace(b'"g.unw",,,', b'"g.unw",,'))
    out = CliRunner().invoke(cli, ["qa", "score", "--manifest", str(path)])
    assert out.exit_code == 2, out.output
    errors = out.stderr.strip().splitlines()
    assert [e.split(": ")[1] for e in errors[:4]] == [f"{path} lines 3-5", f"{path} lines 6-7", f"{path} line 9",
                                                      f"{path} lines 10-11"], errors
    assert "4 of 4 products in" in errors[4] and "(lines 3-5, 6-7, 9, 10-11, errors above)" in " ".join(errors[4:])


def test_paths_written_from_the_current_folder_are_named_when_none_is_in_the_manifests(tmp_path, monkeypatch):
    """A manifest written where the shell was (`ls data/*.unw > m.csv`) and kept in another folder: every row said
    "file does not exist" at a path under the manifest's folder, and the last line "the others were" of none."""
    from sarlake.cli import cli

    here = tmp_path / "work"
    (here / "data").mkdir(parents=True)
    (here / "data" / "a.unw").write_bytes(b"")
    (tmp_path / "lists").mkdir()
    path = tmp_path / "lists" / "m.csv"
    path.write_text("unw,coherence,dem\ndata/a.unw,,\ndata/gone.unw,,\n", encoding="utf-8")
    monkeypatch.chdir(here)
    out = CliRunner().invoke(cli, ["qa", "score", "--manifest", str(path)])
    assert out.exit_code == 2, out.output
    last = " ".join(out.stderr.strip().splitlines()[-1].split())
    assert last == (f"error: 2 of 2 products in {path} not scored (lines 2, 3, errors above); none was scored: fix "
                    f"those lines and score them again; relative paths are read from the manifest's folder "
                    f"{path.parent}, and 1 of them (such as data/a.unw) is found from the current folder instead: "
                    f"write them from {path.parent}, or absolute")
