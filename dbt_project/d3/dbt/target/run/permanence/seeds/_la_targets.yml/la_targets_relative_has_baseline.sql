
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."reference"."la_targets"
    where not coalesce((target_kind <> 'relative' or baseline_period is not null), false)

  
  
      
    ) dbt_internal_test