-- Children leaving care per LA, collection year and reason episode ceased (REC): exits_by_year one
-- level down, so E4A (returned home as planned) and E4B (not as planned) sit apart under Returned
-- home and E17 (stayed with carers at 18) is visible. Counted as in exits_by_year: each child once
-- a year, by their last period that ended in the year; short-break exits left out. The REC of a
-- period with no recorded reason (X1 or blank on an ended period) is 'not recorded'.
-- permanence_exit: Adopted, Special guardianship order, Child arrangements order, Returned home.
with exits as (

    select * from {{ ref('int_exits__last_period_by_year') }}

),

counted as (

    select
        exits.la_code,
        exits.end_year,
        coalesce(reasons.code, 'not recorded') as reason_ceased,
        coalesce(reasons.label, 'No reason recorded (X1 or blank on an ended period)') as reason_label,
        exits.exit_route,
        coalesce(reasons.permanence_exit, false) as permanence_exit,
        count(*) as children,
        max(exits.coverage_start) as coverage_start,
        max(exits.as_at_date) as as_at_date
    from exits
    left join {{ ref('reason_episode_ceased') }} as reasons
        on reasons.code = exits.reason_ceased
    group by exits.la_code, exits.end_year, coalesce(reasons.code, 'not recorded'),
             coalesce(reasons.label, 'No reason recorded (X1 or blank on an ended period)'), exits.exit_route,
             coalesce(reasons.permanence_exit, false)

),

final as (

    select
        cast(la_code as varchar) as la_code,
        cast({{ collection_year_label('end_year') }} as varchar) as collection_year,
        cast(reason_ceased as varchar) as reason_ceased,
        cast(reason_label as varchar) as reason_label,
        cast(exit_route as varchar) as exit_route,
        cast(permanence_exit as boolean) as permanence_exit,
        cast(children as bigint) as children,
        {{ yearly_coverage_columns('end_year') }}
    from counted

)

select * from final
