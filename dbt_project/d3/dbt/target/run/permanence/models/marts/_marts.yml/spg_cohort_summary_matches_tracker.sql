
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    with tracker_counts as (
        select la_code, as_at_date, cohort_id, count(distinct child_id) as children
        from "permanence"."marts"."spg_cohort_children"
        group by la_code, as_at_date, cohort_id
    )
    select summary.la_code, summary.cohort_id, summary.children, coalesce(tracker_counts.children, 0) as tracker_children
    from "permanence"."marts"."spg_cohort_summary" as summary
    left join tracker_counts
        on tracker_counts.la_code = summary.la_code
       and tracker_counts.as_at_date = summary.as_at_date
       and tracker_counts.cohort_id = summary.cohort_id
    where summary.is_current
      and summary.children <> coalesce(tracker_counts.children, 0)

  
  
      
    ) dbt_internal_test