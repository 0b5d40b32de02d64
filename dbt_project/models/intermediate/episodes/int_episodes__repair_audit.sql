-- Per LA and type (all types listed, 0 when none): what the cut at D did, each repair of
-- docs/measures.md#repairs and each chain hole left after them (int_episodes__as_at_date, int_episodes__repaired,
-- int_episodes__sequenced say how each is decided).
--   started_after_as_at_date     episodes left out: they start after D
--   ended_after_as_at_date       episodes read as open on D: they end after D
--   duplicate_start_dropped      repair 1, rows dropped
--   duplicate_end_dropped        repair 2, rows dropped
--   open_ended_at_next_start     repair 3, open episodes ended at the next DECOM (REC X1)
--   overlap_ended_at_next_start  repair 3, closed episodes ended at the next DECOM (REC kept)
--   x1_without_continuation      chain hole: REC X1 but no episode starts on its DEC
--   period_starts_mid_chain      chain hole: a period's first episode has an RNE other than S
with repair_types as (

    select cast('started_after_as_at_date' as {{ dbt.type_string() }}) as repair_type
    union all select 'ended_after_as_at_date'
    union all select 'duplicate_start_dropped'
    union all select 'duplicate_end_dropped'
    union all select 'open_ended_at_next_start'
    union all select 'overlap_ended_at_next_start'
    union all select 'x1_without_continuation'
    union all select 'period_starts_mid_chain'

),

las as (

    select la_code from {{ ref('int_la__reporting_dates') }} where {{ la_needs_build() }}

),

extracted as (

    select la_code, count(*) as episodes
    from {{ ref('stg_ssda903__episodes') }}
    where {{ la_needs_build() }}
    group by la_code

),

on_date as (

    select
        la_code,
        count(*) as episodes,
        sum(case when ended_after_as_at_date then 1 else 0 end) as ended_after,
        count(distinct child_id || '|' || cast(episode_start_date as {{ dbt.type_string() }})) as distinct_starts
    from {{ ref('int_episodes__as_at_date') }}
    where {{ la_needs_build() }}
    group by la_code

),

repaired as (

    select la_code, count(*) as episodes
    from {{ ref('int_episodes__repaired') }}
    where {{ la_needs_build() }}
    group by la_code

),

counted as (

    select extracted.la_code, cast('started_after_as_at_date' as {{ dbt.type_string() }}) as repair_type,
           extracted.episodes - coalesce(on_date.episodes, 0) as episodes
    from extracted
    left join on_date on on_date.la_code = extracted.la_code

    union all
    select la_code, 'ended_after_as_at_date', ended_after from on_date

    union all
    select la_code, 'duplicate_start_dropped', episodes - distinct_starts from on_date

    union all
    select on_date.la_code, 'duplicate_end_dropped', on_date.distinct_starts - coalesce(repaired.episodes, 0)
    from on_date
    left join repaired on repaired.la_code = on_date.la_code

    union all
    select la_code, repair_type, count(*)
    from {{ ref('int_episodes__repaired') }}
    where repair_type is not null and {{ la_needs_build() }}
    group by la_code, repair_type

    union all
    select la_code, chain_hole, count(*)
    from {{ ref('int_episodes__sequenced') }}
    where chain_hole is not null and {{ la_needs_build() }}
    group by la_code, chain_hole

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
