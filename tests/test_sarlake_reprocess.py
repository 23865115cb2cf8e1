from __future__ import annotations

from pges.interferogram.config import InterferogramParameters
from sarlake.workflows.reprocess import alternative_parameters


def test_reprocessing_switches_unwrapper_and_strengthens_the_filter_with_valid_parameters():
    default = InterferogramParameters().model_dump(mode="json")
    alt = InterferogramParameters.model_validate(alternative_parameters(default))
    assert default["unwrap"]["method"] == "snaphu" and alt.unwrap.method == "quality"
    assert alt.filter.strength == 0.8 and alt.looks_range == default["looks_range"]
    back = InterferogramParameters.model_validate(alternative_parameters(alt.model_dump(mode="json")))
    assert back.unwrap.method == "snaphu" and back.filter.strength == 1.0
    assert default["unwrap"]["method"] == "snaphu"  # the input is not modified


def test_dags_link_qa_to_products_and_reprocess_to_predictions():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "dags"
    for name, asset in (("qa.py", "asset('products')"), ("reprocess.py", "asset('qa_predictions')")):
        tree = ast.parse((root / name).read_text())
        sched = [kw for node in ast.walk(tree) if isinstance(node, ast.Call) for kw in node.keywords
                 if kw.arg == "schedule"]
        assert ast.unparse(sched[0].value) == f"[{asset}]"
