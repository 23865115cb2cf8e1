"""Per AOI, track and direction: the good interferograms a time series would use and whether their network is connected.

A Python model: connected components by union-find (scipy) grow with the interferograms, where a recursive SQL
closure grows with the square of the dates per track.
"""


def model(dbt, session):
    """The readiness table: dbt calls this with its context and the DuckDB session."""
    from sarlake.network import readiness

    dbt.config(materialized="table", schema="marts")
    good = dbt.ref("mart_product_quality").filter(
        "product_type = 'L2_IFG' AND usable_for_timeseries"
    ).select("aoi, track, direction, secondary_date, reference_date")
    return readiness(good.fetch_arrow_table())
