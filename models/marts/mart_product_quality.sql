-- Each product's quality at a glance: QA p(error), data-quality status, and whether time series use it.
with products as (
    select * from {{ ref('stg_lake__products') }}
)

select
    product_id,
    product_type,
    aoi,
    track,
    direction,
    reference_date,
    secondary_date,
    temporal_baseline_days,
    coherence_mean,
    unwrapped_fraction,
    p_error,
    case
        when p_error is null then 'unscored'
        when p_error >= {{ var('max_p_error') }} then 'bad'
        else 'good'
    end as qa_verdict,
    coalesce(status, 'pending') as dq_status,
    coalesce(p_error, 0) < {{ var('max_p_error') }} and coalesce(status, '') <> 'quarantined'
        as usable_for_timeseries,
    pge_name,
    pge_version,
    version,
    created_at
from products
