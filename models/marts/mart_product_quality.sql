-- Each product's quality at a glance: its latest QA prediction, the crowd's UWE consensus, its
-- data-quality status, where its files are, and whether time series use it.
with products as (
    select * from {{ ref('stg_lake__products') }}
),

latest_prediction as (
    select *
    from {{ ref('stg_lake__qa_predictions') }}
    qualify row_number() over (partition by product_id order by predicted_at desc, model_version desc) = 1
),

uwe_consensus as (
    select product_id, intensity, raters, agreement
    from {{ ref('stg_lake__tag_consensus') }}
    where tag_type = 'UWE'
)

select
    p.product_id,
    p.product_type,
    p.aoi,
    p.track,
    p.direction,
    p.reference_date,
    p.secondary_date,
    p.temporal_baseline_days,
    p.coherence_mean,
    p.unwrapped_fraction,
    p.p_error,
    case
        when p.p_error is null then 'unscored'
        when p.p_error >= {{ var('max_p_error') }} then 'bad'
        else 'good'
    end as qa_verdict,
    l.model_name,
    l.model_version,
    l.uwe_class as predicted_uwe_class,
    l.predicted_at,
    u.intensity as uwe_consensus,
    u.raters as uwe_raters,
    u.agreement as uwe_agreement,
    coalesce(p.status, 'pending') as dq_status,
    p.quality_failures,
    coalesce(p.tier, 'hot') as tier,
    coalesce(p.p_error, 0) < {{ var('max_p_error') }} and coalesce(p.status, '') <> 'quarantined'
        as usable_for_timeseries,
    p.pge_name,
    p.pge_version,
    p.version,
    p.created_at
from products as p
left join latest_prediction as l on p.product_id = l.product_id
left join uwe_consensus as u on p.product_id = u.product_id
