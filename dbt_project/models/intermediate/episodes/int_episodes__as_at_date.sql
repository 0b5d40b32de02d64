-- Episodes as they were known on each LA's reporting date D (docs/measures.md#dates-e-d-and-c): the
-- one place where the episodes are cut at D, before any repair or period is built, so that no
-- model sees what happened after D. An episode starting after D did not exist yet and is left
-- out; one ending after D was still open on D, so its DEC and REC are read as blank (the extract's
-- values stay in extracted_episode_end_date / extracted_reason_episode_ceased for the audit).
with episodes as (

    select * from {{ ref('stg_ssda903__episodes') }} where {{ la_needs_build() }}

),

reporting as (

    select la_code, as_at_date from {{ ref('int_la__reporting_dates') }}

),

final as (

    select
        episodes.la_code,
        episodes.child_id,
        episodes.episode_start_date,
        episodes.reason_new_episode,
        episodes.legal_status,
        episodes.category_of_need,
        episodes.placement_type,
        episodes.placement_provider,
        cast(case when episodes.episode_end_date <= reporting.as_at_date
                  then episodes.episode_end_date end as date) as episode_end_date,
        case when episodes.episode_end_date <= reporting.as_at_date
             then episodes.reason_episode_ceased end as reason_episode_ceased,
        cast(coalesce(episodes.episode_end_date > reporting.as_at_date, false) as boolean) as ended_after_as_at_date,
        episodes.episode_end_date as extracted_episode_end_date,
        episodes.reason_episode_ceased as extracted_reason_episode_ceased,
        reporting.as_at_date,
        episodes.load_id,
        episodes.extract_date,
        episodes.source_row
    from episodes
    inner join reporting
        on reporting.la_code = episodes.la_code
    where episodes.episode_start_date <= reporting.as_at_date

)

{{ select_with_build_columns('final') }}
