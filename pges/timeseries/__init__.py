"""The ``timeseries`` PGE: L2_IFG products -> L3_TS (SBAS time series, velocity, closure, GNSS comparison).

Array-in/array-out science: :mod:`pges.timeseries.sbas` (``invert_sbas``, ``velocity``, network components)
and :mod:`pges.timeseries.closure` (``closure_check``, ``closure_triplets``); :mod:`pges.timeseries.stack`
reads and prepares the inputs; :mod:`pges.timeseries.pge` runs it and writes the product.
"""
