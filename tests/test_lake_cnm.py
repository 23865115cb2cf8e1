"""CNM message validation: the compiled fast path accepts exactly what ``jsonschema`` (the reference) accepts.

Truth is ``jsonschema``'s Draft 2020-12 validator with its format checker, run on a valid CNM-R and CNM-S and
on every single-field break of them (missing fields, wrong types, empty strings, bad enums, bad dates, a
FAILURE without its error code, negative sizes, upper-case checksums).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

WRONG = [None, 0, 1.5, -1, True, "", "x", "2024-02-30T00:00:00Z", "2024-01-01 00:00", "ABC", [], {}]


def _messages() -> dict[str, dict[str, Any]]:
    from lake.cnm import CnmFile, build_cnm_r, build_cnm_s

    files = [CnmFile("unw.tif", "/a/unw.tif", "data", "ab" * 32, 10), CnmFile("x.met.json", "/a/x.met.json",
                                                                               "metadata", "cd" * 32, 0)]
    s = build_cnm_s(identifier="P.v1.a1", provider="sarlake", collection="C", product="P", version="1",
                    files=files, submitted=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    return {"CNM-S": s, "CNM-R": build_cnm_r(s, "TRANSFER_ERROR", "no space")}


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def _variants(doc: dict[str, Any]) -> list[Any]:
    """Every single-field break of ``doc`` (and ``doc`` itself, and some non-objects)."""
    out: list[Any] = [doc, None, [], "x", 3]
    for path in _paths(doc):
        parent_path, key = path[:-1], path[-1]
        for value in [*WRONG, "DELETE"]:
            broken = copy.deepcopy(doc)
            parent = broken
            for p in parent_path:
                parent = parent[p]
            if value == "DELETE":
                if isinstance(parent, dict):
                    del parent[key]
            else:
                parent[key] = value
            out.append(broken)
    return out


@pytest.mark.parametrize("what", ["CNM-S", "CNM-R"])
def test_fast_path_agrees_with_jsonschema_on_valid_and_broken_messages(what: str) -> None:
    from lake.cnm import _fast_valid, _validator

    base = _messages()[what]
    docs = _variants(base)
    if what == "CNM-R":
        success = copy.deepcopy(base)
        success["response"] = {"status": "SUCCESS"}
        docs += [success, *_variants(success)]
    verdicts = [(_fast_valid(d, what), _validator(what).is_valid(d)) for d in docs]
    assert verdicts[0] == (True, True)
    assert sum(not ref for _, ref in verdicts) > 100  # the breaks do break it
    disagree = [d for d, (fast, ref) in zip(docs, verdicts, strict=True) if fast != ref]
    assert not disagree, disagree[:3]


def test_bad_cnm_r_names_the_field() -> None:
    from lake.cnm import CnmError, parse_cnm_r

    with pytest.raises(CnmError, match=r"field response: 'errorCode' is a required property"):
        parse_cnm_r('{"identifier": "y", "response": {"status": "FAILURE"}}')
    with pytest.raises(CnmError, match=r"field submissionTime: '2024-02-30T00:00:00Z' is not a 'date-time'"):
        parse_cnm_r('{"identifier": "y", "submissionTime": "2024-02-30T00:00:00Z", "response": {"status": "SUCCESS"}}')
    assert parse_cnm_r('{"identifier": "y", "response": {"status": "SUCCESS"}}').success
