"""`sarlake reprocess`: the reprocessing the reprocess DAG and the browse UI offer, from a shell (before, only
`python -c` on sarlake.workflows.reprocess did it without Airflow)."""

from __future__ import annotations

import math

from click.testing import CliRunner


def _cli(*args: str):
    from sarlake.cli import cli

    return CliRunner().invoke(cli, list(args))


def test_reprocess_passes_the_request_on_and_prints_both_versions_and_the_default(settings, monkeypatch) -> None:
    import sarlake.workflows.reprocess as workflow

    asked: list[tuple] = []

    def fake(max_p_error, limit, run_id, product_ids, max_attempts):
        asked.append((max_p_error, limit, run_id.startswith("manual__reprocess__"), product_ids, max_attempts))
        return [{"original": "IFG_1", "reprocessed": "IFG_1b", "p_error_original": math.nan,
                 "p_error_reprocessed": 0.1234, "default": "IFG_1b", "attempt": 1, "pge_version": "0.1.0"},
                {"original": "IFG_2", "reprocessed": "IFG_2c", "p_error_original": 0.9,
                 "p_error_reprocessed": 0.7, "default": "IFG_2b", "attempt": 2, "pge_version": "0.1.0"}]

    monkeypatch.setattr(workflow, "reprocess_bad_products", fake)
    out = _cli("reprocess", "IFG_1", "--limit", "3")
    assert out.exit_code == 0, out.output
    assert asked == [(None, 3, True, ["IFG_1"], None)]
    assert out.output.splitlines() == ["IFG_1 (p(error) unscored) -> IFG_1b (p(error) 0.123); default: IFG_1b",
                                       "IFG_2 (p(error) 0.900) -> IFG_2c (p(error) 0.700, attempt 2); default: IFG_2b"]
    assert _cli("reprocess", "--max-p-error", "0.3", "--max-attempts", "3").exit_code == 0
    assert asked[-1] == (0.3, 20, True, None, 3)
    assert _cli("reprocess", "--max-p-error", "1.5").exit_code == 2  # not a probability
    refused = _cli("reprocess", "--max-attempts", "0")
    assert refused.exit_code == 2 and "--max-attempts" in refused.output


def test_reprocess_refuses_an_unknown_product_and_says_when_nothing_is_bad(settings) -> None:
    from lake.catalog import init_lake

    init_lake(settings)
    unknown = _cli("reprocess", "NOPE")
    assert unknown.exit_code == 2
    assert unknown.output.startswith("error: 1 requested product(s) not in the lake: NOPE (`sarlake sql")  # no DAG
    # param's name (it said "product_ids: 1 not in the lake"); the CLI takes the ids as arguments
    nothing = _cli("reprocess")
    assert nothing.exit_code == 0 and "nothing to reprocess" in nothing.output
    # an interferogram ingested from another processor's files: it was skipped with a log line and exit 0
    from lake.write import upsert

    upsert("products", [{"product_id": "EXT-ROIPAC-X", "product_type": "L2_IFG", "pge_name": "ingest",
                         "start_time": "2006-06-19T00:00:00Z"}], settings)
    ingested = _cli("reprocess", "EXT-ROIPAC-X")
    assert ingested.exit_code == 2
    assert ("error: requested product EXT-ROIPAC-X was catalogued by the ingest PGE from another processor's "
            "unwrapped files, so it cannot be reprocessed here: make it again with the processor that made it and "
            "ingest that with `sarlake ingest --replace`, or unwrap its wrapped interferogram with `sarlake unwrap`"
            ) in ingested.output
    # one the unwrap PGE made is re-made from its wrapped file: tests/test_sarlake_reprocess_unwrapped.py
