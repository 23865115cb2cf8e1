-- Failed DAG runs per DAG and month (recorded by the DAGs' failure callback), with the latest reason.
select
    dag_id,
    cast(date_trunc('month', coalesce(finished_at, created_at)) as date) as month,
    count(*) as failed_runs,
    arg_max(reason, coalesce(finished_at, created_at)) as latest_reason,
    max(coalesce(finished_at, created_at)) as latest_failure_at
from {{ ref('stg_lake__pge_runs') }}
where state is null or state = 'failed'
group by all
