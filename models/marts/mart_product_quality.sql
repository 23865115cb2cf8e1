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
),

lineage as (
    select product_id, bool_or(is_default) as is_default
    from {{ ref('stg_lake__product_lineage') }}
    group by product_id
),

-- A pair of dates made more than once on a track (a reprocessed version, a newer PGE version, two processors)
-- enters a time series once: the rule of sarlake.workflows.timeseries_select, which `sarlake timeseries` and
-- the timeseries DAG apply. pair_rank 1 is the version they use.
usable_interferograms as (
    select
        p.product_id,
        row_number() over (
            partition by p.aoi, p.track,
                coalesce(cast(p.reference_date as varchar) || '/' || cast(p.secondary_date as varchar), p.product_id)
            order by
                case when l.is_default then 0 when l.is_default is null then 1 else 2 end,
                list_transform(string_split(replace(coalesce(p.version, '0'), '_', '.'), '.'),
                               x -> try_cast(x as integer)) desc,
                p.p_error asc nulls last, p.created_at desc nulls last, p.product_id
        ) as pair_rank
    from products as p
    left join lineage as l on p.product_id = l.product_id
    where p.product_type = 'L2_IFG' and coalesce(p.p_error, 0) < {{ var('max_p_error') }}
        and coalesce(p.status, '') <> 'quarantined'
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
        -- the qa DAG scores interferograms only: a time series or a coherence stack is not waiting for a score
        when p.product_type <> 'L2_IFG' then 'not an interferogram'
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
    -- a time series is made of interferograms: an L3 product is never one of its inputs
    coalesce(ui.pair_rank = 1, false) as usable_for_timeseries,
    p.pge_name,
    p.pge_version,
    p.version,
    p.created_at
from products as p
left join latest_prediction as l on p.product_id = l.product_id
left join uwe_consensus as u on p.product_id = u.product_id
left join usable_interferograms as ui on p.product_id = ui.product_id
