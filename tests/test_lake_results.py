"""ResultStream: an INTERRUPT that DuckDB raised on its own is not reported as the user's Ctrl-C."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lake.results import ResultStream


class _Con:
    def interrupt(self) -> None:
        """``close()`` may interrupt a worker that is just finishing: harmless, as on DuckDB."""


def _reader(failure: str):
    schema = pa.schema([("i", pa.int64())])

    def batches():
        yield pa.record_batch([pa.array([1, 2, 3])], schema=schema)
        raise OSError(failure)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _stream(failures: list[str]):
    calls = []

    def open_reader():
        calls.append(1)
        return _reader(failures[min(len(calls), len(failures)) - 1])

    stream = ResultStream(open_reader, _Con(), lambda exc: ValueError(str(exc)))
    return stream, calls


def test_a_spurious_interrupt_is_replaced_by_the_failure_it_hides() -> None:
    # what DuckDB does about 1 run in 200 when one thread of a parallel query fails: the others' INTERRUPT
    # reaches the reader instead of the failure
    stream, calls = _stream(["INTERRUPT Error: Interrupted!", "Invalid Input Error: boom at 250000"])
    with pytest.raises(ValueError, match="boom at 250000"):
        list(stream)
    assert len(calls) == 2


def test_a_real_failure_is_reported_at_once() -> None:
    stream, calls = _stream(["Invalid Input Error: boom at 250000"])
    with pytest.raises(ValueError, match="boom at 250000"):
        list(stream)
    assert len(calls) == 1


def test_an_interrupt_that_keeps_coming_says_so_and_is_not_taken_for_ctrl_c() -> None:
    stream, calls = _stream(["INTERRUPT Error: Interrupted!"])
    with pytest.raises(ValueError, match="DuckDB stopped the query on its own") as info:
        list(stream)
    assert "interrupted" not in str(info.value).lower()  # lake.query would take it for Ctrl-C (exit 130)
    assert len(calls) == 3
