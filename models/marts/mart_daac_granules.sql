-- What the DAAC holds: one row per product version it acknowledged (a CNM-R SUCCESS), each version in its own
-- archive folder; with its size, when it was acknowledged and whether the catalogue still shows that version.
with acknowledged as (
    select
        product_id,
        version,
        arg_max(transfer_id, recorded_at) as transfer_id,
        arg_max(archive_uri, recorded_at) as archive_uri,
        arg_max(bytes, recorded_at) as bytes,
        max(recorded_at) as acknowledged_at
    from {{ ref('stg_lake__archive_transfers') }}
    where step = 'acknowledged'
    group by product_id, version
),

products as (
    select product_id, product_type, version, coalesce(tier, 'hot') as tier
    from {{ ref('stg_lake__products') }}
)

select
    a.product_id,
    a.version,
    p.product_type,
    a.transfer_id,
    a.archive_uri,
    a.bytes,
    a.acknowledged_at,
    p.product_id is not null as catalogued,
    coalesce(p.version = a.version, false) as catalogue_version,
    p.tier as catalogue_tier
from acknowledged as a
left join products as p on a.product_id = p.product_id
