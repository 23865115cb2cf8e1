"""Great Expectations 1.x suites for the lake tables, written as code (one module per table).

Each module defines ``SUITE`` (the suite name), ``KEY`` (the column identifying a row, for quarantine) and
``expectations()`` returning the list of ``gx.expectations.Expect...`` objects. :mod:`sarlake.workflows.quality`
runs them as checkpoints on the rows catalogued in a run and quarantines the rows that fail.
"""
