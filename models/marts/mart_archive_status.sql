-- Where the products are, per collection (product type) and age: hot in the lake, archived at the DAAC,
-- or cached back from the archive; with the deliveries that failed on the way.
with products as (
    select
        product_type,
        coalesce(tier, 'hot') as tier,
        case
            when date_diff('day', created_at, current_timestamp) < 30 then '0-30 d'
            when date_diff('day', created_at, current_timestamp) < 90 then '30-90 d'
            when date_diff('day', created_at, current_timestamp) < 365 then '90-365 d'
            else '> 1 yr'
        end as age,
        product_id
    from {{ ref('stg_lake__products') }}
),

failed as (
    select distinct product_id
    from {{ ref('stg_lake__archive_transfers') }}
    where failed_step is not null or error_code is not null
)

select
    p.product_type,
    p.age,
    count(*) filter (where p.tier = 'hot') as hot,
    count(*) filter (where p.tier = 'archive') as archived,
    count(*) filter (where p.tier = 'cached') as restored,
    count(*) as products,
    count(f.product_id) as with_failed_deliveries
from products as p
left join failed as f on p.product_id = f.product_id
group by all
