{#
    summary_matches_tracker(tracker)

    For the current reporting date (is_current), the summary's children per LA and cohort must equal
    the distinct children in the tracker (spg_cohort_children) for that LA, date and cohort.
    Fails with one row per mismatching LA and cohort (counts only).
#}
{% test summary_matches_tracker(model, tracker) %}
    with tracker_counts as (
        select la_code, as_at_date, cohort_id, count(distinct child_id) as children
        from {{ tracker }}
        group by la_code, as_at_date, cohort_id
    )
    select summary.la_code, summary.cohort_id, summary.children, coalesce(tracker_counts.children, 0) as tracker_children
    from {{ model }} as summary
    left join tracker_counts
        on tracker_counts.la_code = summary.la_code
       and tracker_counts.as_at_date = summary.as_at_date
       and tracker_counts.cohort_id = summary.cohort_id
    where summary.is_current
      and summary.children <> coalesce(tracker_counts.children, 0)
{% endtest %}
