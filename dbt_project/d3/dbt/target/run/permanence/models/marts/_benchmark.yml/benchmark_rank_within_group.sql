
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."benchmark"
    where not coalesce((rank_in_group is null or (rank_in_group >= 1 and rank_in_group <= group_size)), false)

  
  
      
    ) dbt_internal_test