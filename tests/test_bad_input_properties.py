"""Property-based bad input (hypothesis): names never escape their root; run-configs fail in one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lake.exceptions import InvalidNameError, PathEscapeError

ROOT = "/srv/sarlake/products"

# Text that an attacker or a careless user might type: path pieces, dots, separators, unicode, control chars.
NASTY = st.lists(
    st.sampled_from(list("aZ09._-/\\ :+~$*?\x00\n") + ["..", "../", "é", "\u202e"]), max_size=20
).map("".join) | st.text(max_size=70)


@given(NASTY)
@settings(max_examples=200, deadline=None)
def test_an_accepted_aoi_name_is_one_segment_under_the_root(name: str) -> None:
    from lake.names import check_aoi_name, join_under

    try:
        check_aoi_name(name)
    except InvalidNameError as exc:
        assert "\n" not in str(exc)
        return
    path = Path(join_under(ROOT, "L2_IFG", name))
    assert path.parent == Path(ROOT, "L2_IFG") and path.name == name


@given(NASTY)
@settings(max_examples=200, deadline=None)
def test_an_accepted_id_is_one_segment_under_the_root(value: str) -> None:
    from lake.names import check_id, join_under

    try:
        check_id(value)
    except InvalidNameError:
        return
    assert Path(join_under(ROOT, value)).parent == Path(ROOT)


@given(st.lists(NASTY, min_size=1, max_size=3))
@settings(max_examples=200, deadline=None)
def test_join_under_never_leaves_the_root(parts: list[str]) -> None:
    from lake.names import join_under

    try:
        joined = join_under(ROOT, *parts)
    except PathEscapeError:
        return
    resolved = Path(joined).resolve()
    assert resolved == Path(ROOT) or Path(ROOT) in resolved.parents


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)

KEYS = {
    "interferogram": ["looks_range", "looks_azimuth", "filter", "unwrap", "reference", "posting_deg",
                      "min_coherence", "verify_checksums", "browse_max_size", "look_range"],
    "simulate": ["bbox", "track", "direction", "frame", "acquisitions", "seed", "posting_m", "incidence_deg",
                 "deformation", "atmosphere", "noise", "wavelength_m", "band"],
    "timeseries": ["aoi", "reference", "min_coherence", "gnss_files", "max_p_error"],
}


@pytest.mark.parametrize("pge", sorted(KEYS))
def test_random_run_configs_fail_in_one_clear_line(pge: str) -> None:
    """Whatever parameters arrive, parsing either accepts them or raises InputValidationError in one line."""
    from pges import registry
    from pges.contract import parse_run_config
    from pges.errors import InputValidationError

    model = registry.get(pge).run_config_model()

    @given(st.dictionaries(st.sampled_from(KEYS[pge]), JSONISH, max_size=4),
           st.sampled_from(["/tmp/out", "", None, 5, "s3://b/p"]))
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def check(params: dict[str, Any], output_dir: Any) -> None:
        doc = {"pge": pge, "output_dir": output_dir, "inputs": ["/x/a.met.json"], "parameters": params}
        try:
            parse_run_config(model, doc, pge=pge)
        except InputValidationError as exc:
            message = str(exc)
            assert message and "\n" not in message
            assert "Traceback" not in message

    check()


def test_an_unknown_key_with_a_newline_is_named_on_one_line() -> None:
    """Found by the property test above (`{"filter": {"\\n": None}}`): the key's newline split the message."""
    from pges import registry
    from pges.contract import parse_run_config
    from pges.errors import InputValidationError

    model = registry.get("interferogram").run_config_model()
    doc = {"pge": "interferogram", "output_dir": "/tmp/out", "inputs": ["/x/a.met.json"],
           "parameters": {"filter": {"\n": None}}}
    with pytest.raises(InputValidationError) as err:
        parse_run_config(model, doc, pge="interferogram")
    assert str(err.value) == "unknown run-config key 'parameters.filter.\\n' (allowed: patch, strength)"
