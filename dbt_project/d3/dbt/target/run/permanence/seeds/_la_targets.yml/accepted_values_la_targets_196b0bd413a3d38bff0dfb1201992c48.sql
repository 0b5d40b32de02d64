
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        measure as value_field,
        count(*) as n_records

    from "permanence"."reference"."la_targets"
    group by measure

)

select *
from all_values
where value_field not in (
    'cla_rate_per_10k','exit_share_adopted','exit_share_sgo','exit_share_cao','exit_share_returned_home','stability_three_plus','stability_long_term','a1_days','a2_days','a10_days','exits_adopted','exits_sgo','exits_cao','exits_returned_home','exits_total','cla_at_31_march','mean_days_in_care','cohort_1_children','cohort_2_children','cohort_3_children','cohort_4_children','cohort_5_children','cohort_6_children'
)



  
  
      
    ) dbt_internal_test