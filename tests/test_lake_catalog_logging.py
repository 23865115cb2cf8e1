"""Loading lake tables keeps the task logs readable: pyiceberg's per-table INFO line is not repeated in them."""

from __future__ import annotations

import logging


def test_loading_tables_logs_no_fileio_line_per_table(settings, caplog):
    """pyiceberg logs "Loaded FileIO: ..." at INFO for every table it loads: 35 of the 50 lines of a qa_train
    label_set task's log."""
    from lake.catalog import init_lake, load_table

    init_lake(settings)
    with caplog.at_level(logging.INFO):
        for name in ("products", "user_tags", "tag_consensus"):
            load_table(name, settings)
    assert not [r for r in caplog.records if "Loaded FileIO" in r.getMessage()]
