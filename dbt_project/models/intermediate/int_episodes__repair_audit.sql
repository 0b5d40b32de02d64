-- Count of episode repairs and flagged anomalies per LA and type (all types listed, 0 when none).
-- x1_without_continuation is flagged only (not repaired): REC X1 but the next episode does not
-- start on the end date, so the period ends there with exit route 'Not recorded'.
with repair_types as (

    select cast('duplicate_dropped' as varchar) as repair_type
    union all select 'end_before_start'
    union all select 'open_closed_by_next_episode'
    union all select 'overlap_end_clamped'
    union all select 'x1_without_continuation'

),

las as (

    select la_code from {{ ref('int_la__reporting_dates') }} where {{ la_needs_build() }}

),

duplicates as (

    select la_code, cast('duplicate_dropped' as varchar) as repair_type, count(*) - count(distinct child_id || '|' || cast(episode_start_date as varchar)) as episodes
    from {{ ref('stg_ssda903__episodes') }}
    where {{ la_needs_build() }}
    group by la_code

),

repairs as (

    select la_code, repair_type, count(*) as episodes
    from {{ ref('int_episodes__repaired') }}
    where repair_type is not null and {{ la_needs_build() }}
    group by la_code, repair_type

),

x1_breaks as (

    select la_code, cast('x1_without_continuation' as varchar) as repair_type, count(*) as episodes
    from (
        select
            la_code,
            reason_episode_ceased,
            episode_end_date,
            lead(episode_start_date) over (partition by la_code, child_id order by episode_start_date) as next_start
        from {{ ref('int_episodes__repaired') }}
        where {{ la_needs_build() }}
    ) as e
    where reason_episode_ceased = 'X1' and (next_start is null or next_start <> episode_end_date)
    group by la_code

),

counted as (

    select * from duplicates
    union all select * from repairs
    union all select * from x1_breaks

),

final as (

    select
        las.la_code,
        repair_types.repair_type,
        cast(coalesce(sum(counted.episodes), 0) as bigint) as episodes
    from las
    cross join repair_types
    left join counted
        on counted.la_code = las.la_code and counted.repair_type = repair_types.repair_type
    group by las.la_code, repair_types.repair_type

)

{{ select_with_build_columns('final') }}
