"""One naming rule for everything that becomes a path, and computed paths that stay under their roots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lake.exceptions import InvalidNameError, PathEscapeError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["etna", "etna-2", "a", "0abc", "kilauea_east", "x" * 63])
def test_good_aoi_names(name: str) -> None:
    from lake.names import check_aoi_name

    assert check_aoi_name(name) == name


@pytest.mark.parametrize("name", ["Etna2", "../../../../elsewhere", "..", ".", "", "a b", "a/b", "-a", "_a",
                                  "x" * 64, "etna\x00", "été", None, 5])
def test_bad_aoi_names(name: object) -> None:
    from lake.names import check_aoi_name

    with pytest.raises(InvalidNameError) as err:
        check_aoi_name(name, "--aoi")
    assert str(err.value).startswith("--aoi ") and "\n" not in str(err.value)


def test_upper_case_gets_a_hint() -> None:
    from lake.names import check_aoi_name

    with pytest.raises(InvalidNameError, match="try 'etna2'"):
        check_aoi_name("Etna2")


@pytest.mark.parametrize("value", ["S1-GUNW-A-R-044-tops-20240101_20240113-123456-01234E_01234N-PP-ab12-v3_0_0",
                                   "manual__2024-01-01T00:00:00+00:00", "ACQ.1", "x" * 255])
def test_good_ids(value: str) -> None:
    from lake.names import check_id

    assert check_id(value) == value


@pytest.mark.parametrize("value", ["..", ".", "../x", "a/b", "a\\b", " a", "", ".hidden", "x" * 256, "a b"])
def test_bad_ids(value: str) -> None:
    from lake.names import check_id

    with pytest.raises(InvalidNameError):
        check_id(value, "acquisition id")


def test_paths_stay_under_their_root(tmp_path: Path) -> None:
    from lake.names import check_under, join_under

    root = str(tmp_path / "products")
    assert join_under(root, "L2_IFG", "etna") == f"{root}/L2_IFG/etna"
    assert join_under("s3://b/products", "L3_TS", "etna") == "s3://b/products/L3_TS/etna"
    for bad in (("L2_IFG", ".."), ("..", "x"), ("a/../../b",), ("",)):
        with pytest.raises(PathEscapeError):
            join_under(root, *bad)
    with pytest.raises(PathEscapeError):
        check_under(f"{root}/../elsewhere", root)
    with pytest.raises(PathEscapeError):
        check_under("s3://b/products/../other", "s3://b/products")
    with pytest.raises(PathEscapeError):
        check_under("s3://b/products-x/y", "s3://b/products")
    # A symbolic link inside the root that points out of it is an escape too.
    (tmp_path / "products").mkdir()
    (tmp_path / "products" / "link").symlink_to(tmp_path)
    with pytest.raises(PathEscapeError):
        check_under(f"{root}/link/elsewhere", root)


def test_one_pattern_everywhere() -> None:
    """The DAG's trigger form, the lake and the PGEs use the same constants."""
    from lake.names import AOI_NAME_PATTERN, ID_PATTERN
    from pges.simulate.config import Acquisition
    from pges.storage import ID_PATTERN as PGE_ID_PATTERN

    assert PGE_ID_PATTERN == ID_PATTERN
    assert Acquisition.model_json_schema()["properties"]["id"]["pattern"] == ID_PATTERN
    dag_source = (ROOT / "dags" / "forward.py").read_text()
    assert '"pattern": AOI_NAME_PATTERN' in dag_source
    assert not re.search(r'"pattern":\s*"\^\[a-z0-9\]', dag_source)  # no second copy of the pattern
    assert re.fullmatch(AOI_NAME_PATTERN, "etna") and not re.fullmatch(AOI_NAME_PATTERN, "Etna2")


def test_aoi_must_exist(settings) -> None:
    from lake.aoi import add_aoi, require_aoi
    from lake.catalog import init_lake
    from lake.exceptions import InvalidAOIError

    init_lake(settings)
    add_aoi("etna", bbox=(14.8, 37.6, 15.3, 37.9), settings=settings)
    assert require_aoi("etna", settings).name == "etna"
    with pytest.raises(InvalidAOIError, match="'vesuvius' does not exist; the lake's AOIs are: etna"):
        require_aoi("vesuvius", settings)
    with pytest.raises(InvalidNameError):
        require_aoi("../../x", settings)


def test_publisher_refuses_an_id_that_leaves_output_dir(tmp_path: Path) -> None:
    from pges.errors import InputValidationError
    from pges.storage import Publisher

    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "a.txt").write_text("x")
    out = tmp_path / "out"
    for bad in ("..", "../../elsewhere", "a/b", ".x"):
        with pytest.raises(InputValidationError):
            Publisher(str(out)).publish(bad, staged)
    assert not (tmp_path / "elsewhere").exists() and list(tmp_path.iterdir()) == [staged]
