-- Acquisitions and interferograms per AOI, track and month, with the acquisitions missed on the way.
-- A gap of d days between consecutive acquisitions of a track counts round(d / revisit) - 1 missed ones.
with acquisitions as (
    select
        coalesce(aoi, '') as aoi,
        coalesce(track, -1) as track,
        coalesce(direction, '') as direction,
        cast(start_time as date) as acquired_on,
        lag(cast(start_time as date)) over (
            partition by coalesce(aoi, ''), coalesce(track, -1), coalesce(direction, '') order by start_time
        ) as previous_on
    from {{ ref('stg_lake__acquisitions') }}
),

with_gaps as (
    select
        *,
        case
            when previous_on is null then 0
            else greatest(
                cast(round(date_diff('day', previous_on, acquired_on) / {{ var('revisit_days') }}) as integer) - 1, 0
            )
        end as missed
    from acquisitions
),

per_month as (
    select
        aoi,
        track,
        direction,
        cast(date_trunc('month', acquired_on) as date) as month,
        count(*) as acquisitions,
        min(acquired_on) as first_acquisition,
        max(acquired_on) as last_acquisition,
        sum(missed) as missed_acquisitions
    from with_gaps
    group by all
),

interferograms as (
    select
        coalesce(aoi, '') as aoi,
        coalesce(track, -1) as track,
        coalesce(direction, '') as direction,
        cast(date_trunc('month', reference_date) as date) as month,
        count(*) as interferograms
    from {{ ref('stg_lake__products') }}
    where product_type = 'L2_IFG'
    group by all
)

select
    nullif(coalesce(a.aoi, i.aoi), '') as aoi,
    nullif(coalesce(a.track, i.track), -1) as track,
    nullif(coalesce(a.direction, i.direction), '') as direction,
    coalesce(a.month, i.month) as month,
    coalesce(a.acquisitions, 0) as acquisitions,
    a.first_acquisition,
    a.last_acquisition,
    coalesce(a.missed_acquisitions, 0) as missed_acquisitions,
    coalesce(i.interferograms, 0) as interferograms
from per_month as a
full outer join interferograms as i
    on a.aoi = i.aoi and a.track = i.track and a.direction = i.direction and a.month = i.month
