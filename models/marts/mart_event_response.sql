-- Per earthquake event: the evaluator's decision and reason, the products made for it (urgent response
-- catalogues them under the event's AOI), and the latency from the origin time and from the moment the
-- event was recorded to the first product catalogued.
with events as (
    select * from {{ ref('stg_lake__events') }}
),

products as (
    select aoi, count(*) as products, min(created_at) as first_product_at, max(created_at) as last_product_at
    from {{ ref('stg_lake__products') }}
    where aoi is not null
    group by aoi
)

select
    e.event_id,
    e.source,
    e.time as origin_time,
    e.magnitude,
    e.alert,
    e.depth_km,
    e.place,
    e.decision,
    e.reason,
    e.aoi,
    e.processing,
    coalesce(p.products, 0) as products,
    p.first_product_at,
    date_diff('second', e.time, p.first_product_at) / 60.0 as minutes_from_origin,
    date_diff('second', e.created_at, p.first_product_at) / 60.0 as minutes_from_recorded
from events as e
left join products as p on e.aoi = p.aoi
