-- reference.adoption_stage_timings: renames and casts only. number_as_printed is the published
-- cell (years:months, e.g. '01:07'); value is in `unit` (months for durations).
select
    cast(geographic_level as varchar) as geographic_level,
    cast(time_period as integer) as time_period,
    cast(period as varchar) as period,
    cast(age_group as varchar) as age_group,
    cast(stage_number as integer) as stage_number,
    cast(stage as varchar) as stage,
    cast(stage_label as varchar) as stage_label,
    cast(number_as_printed as varchar) as number_as_printed,
    cast(value as double precision) as value,
    cast(unit as varchar) as unit,
    cast(suppression as varchar) as suppression,
    cast(source_file as varchar) as source_file
from {{ source('reference', 'adoption_stage_timings') }}
