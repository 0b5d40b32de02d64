
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        permanence_plan as value_field,
        count(*) as n_records

    from "permanence"."staging"."stg_extras__cla_care_plan"
    group by permanence_plan

)

select *
from all_values
where value_field not in (
    'ADOPTION','LTFOST18','LTRELFR','OTHERPLN','REMAINSUP','RESPLMT','RETURN1M','RETURN6M','RETURNEV','SUPPLIV'
)



  
  
      
    ) dbt_internal_test