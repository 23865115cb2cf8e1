"""`sarlake.cli.params`: one float type refuses NaN for options with bounds and without, in the words users see."""

from __future__ import annotations

import math
import re

import click
import pytest
from click.testing import CliRunner


@pytest.mark.parametrize(("args", "says"), [
    (["aoi", "add", "x", "--bbox", "nan", "1", "2", "3"],
     "Invalid value for '--bbox': NaN is not a number this option can use"),
    (["aoi", "add", "x", "--bbox", "abc", "1", "2", "3"], "Invalid value for '--bbox': 'abc' is not a valid float."),
    (["timeseries", "x", "--reference", "1", "nan"],
     "Invalid value for '--reference': NaN is not a number this option can use"),
    (["timeseries", "x", "--max-p-error", "nan"], "Invalid value for '--max-p-error': NaN is not in the range 0<=x<=1"),
    (["timeseries", "x", "--max-p-error", "abc"],
     "Invalid value for '--max-p-error': 'abc' is not a valid float range."),
    (["timeseries", "x", "--incidence", "90"], "Invalid value for '--incidence': 90.0 is not in the range 0<x<90."),
    (["maintain", "--older-than-days", "nan"], "Invalid value for '--older-than-days': NaN is not in the range x>=0"),
])
def test_nan_and_other_bad_numbers_exit_2_naming_the_option(args, says):
    out = CliRunner().invoke(__import__("sarlake.cli", fromlist=["cli"]).cli, args)
    assert out.exit_code == 2 and says in out.output, out.output


def test_one_type_serves_options_with_bounds_and_without():
    """NUMBER (no bound) and the ranges were two near-copies of the NaN check; now one class."""
    from sarlake.cli.params import NUMBER, FiniteFloatRange

    assert type(NUMBER) is FiniteFloatRange and NUMBER.name == "float"
    assert NUMBER.convert("-inf", None, None) == -math.inf  # infinities are the command's (or the range's) to judge
    with pytest.raises(click.BadParameter, match="is not in the range x>0"):
        FiniteFloatRange(min=0, min_open=True).convert("-inf", None, None)
    from sarlake.cli import cli

    text = CliRunner().invoke(cli, ["aoi", "add", "--help"]).output
    assert "--bbox FLOAT..." in text and "None" not in text


@pytest.mark.parametrize("command", ["timeseries", "unwrap"])
def test_a_reference_off_the_globe_names_the_option_before_any_work(command, tmp_path):
    """unwrap named the run-config key 'parameters.reference.lat', after reading the file, as timeseries did."""
    from sarlake.cli import cli

    target = "sydney" if command == "timeseries" else str(tmp_path / "x.tif")
    (tmp_path / "x.tif").write_bytes(b"not read: the option is refused first")
    out = CliRunner().invoke(cli, [command, target, "--reference", "95", "-200"])
    assert out.exit_code == 2, out.output
    assert ("Invalid value for '--reference': latitude 95.0: input should be less than or equal to 90; longitude "
            "-200.0: input should be greater than or equal to -180") in " ".join(out.output.split())


def _ifg(path, data, **tags):
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1], count=1,
                       dtype=data.dtype.name, crs="EPSG:4326", transform=from_origin(14.0, 41.0, 0.001, 0.001)) as dst:
        dst.write(data, 1)
        dst.update_tags(WAVELENGTH="0.0555", **tags)
    return str(path)


def _etna_lake(tmp_path, rng):
    """A lake with the AOI etna and three 20 x 20 interferograms on it (a closed triplet); its CLI runner."""
    from sarlake.cli import cli

    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert runner.invoke(cli, ["aoi", "add", "etna", "--bbox", "13.9", "40.9", "14.1", "41.1"]).exit_code == 0
    unw = [_ifg(tmp_path / f"i_{a}-{b}.tif", rng.normal(0, 1, (20, 20)).astype("float32"))
           for a, b in (("20200101", "20200113"), ("20200113", "20200125"), ("20200101", "20200125"))]
    assert runner.invoke(cli, ["ingest", *unw, "--aoi", "etna"]).exit_code == 0
    return runner


def test_a_reference_on_the_globe_but_off_the_grid_names_the_option(settings, tmp_path):
    """The PGE found the point off the grid (14.2 E is east of 14.0-14.02 E) and said so without naming --reference;
    the CLI now reports its error as that option's (the grid's geometry stays the PGE's to judge)."""
    import numpy as np

    from sarlake.cli import cli

    rng = np.random.default_rng(2)
    runner = _etna_lake(tmp_path, rng)
    out = runner.invoke(cli, ["timeseries", "etna", "--reference", "40.99", "14.2"])
    assert out.exit_code == 2, out.output
    assert ("Invalid value for '--reference': reference point 40.99, 14.2 (lat/lon) is outside the interferogram "
            "grid") in " ".join(out.output.split())
    wrapped = _ifg(tmp_path / "w_20200101-20200113.tif",
                   np.exp(1j * rng.normal(0, 1, (20, 20))).astype("complex64"))
    out = runner.invoke(cli, ["unwrap", wrapped, "--method", "quality", "--reference", "40.99", "14.2"])
    assert out.exit_code == 2, out.output
    assert ("Invalid value for '--reference': w_20200101-20200113.tif: reference point (40.99, 14.2) is outside the "
            "interferogram") in " ".join(out.output.split())


def test_a_deformation_mask_the_pge_refuses_is_reported_as_the_options(settings, tmp_path):
    """The PGE's errors about the mask named the file, and for a wrong shape the run-config key
    troposphere.deformation_mask, never the option the user typed."""
    import numpy as np

    from sarlake.cli import cli

    rng = np.random.default_rng(3)
    runner = _etna_lake(tmp_path, rng)
    small = _ifg(tmp_path / "small.tif", np.ones((3, 3), "uint8"))
    empty = _ifg(tmp_path / "empty.tif", np.full((20, 20), np.nan, "float32"))
    for mask, said in ((small, r"small.tif is 3 x 3 pixels, the stack \d+ x \d+: give the mask on the stack grid"),
                       (empty, r"empty.tif: no pixel has a value")):
        out = runner.invoke(cli, ["timeseries", "etna", "--deformation-mask", mask])
        assert out.exit_code == 2, out.output
        assert re.search(rf"Invalid value for '--deformation-mask': {said}", " ".join(out.output.split())), out.output
