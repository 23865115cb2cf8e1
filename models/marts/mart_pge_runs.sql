-- PGE runs per PGE, version and month: runs, products made, and how long the PGE took.
with provenance as (
    select
        pge_name,
        pge_version,
        run_id,
        product_id,
        runner,
        cast(date_trunc('month', started_at) as date) as month,
        date_diff('millisecond', started_at, finished_at) / 1000.0 as duration_s
    from {{ ref('stg_lake__provenance') }}
)

select
    pge_name,
    pge_version,
    month,
    count(distinct run_id) as runs,
    count(distinct product_id) as products,
    count(distinct runner) as runners,
    avg(duration_s) as mean_duration_s,
    median(duration_s) as median_duration_s,
    max(duration_s) as max_duration_s
from provenance
group by all
