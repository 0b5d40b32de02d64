
    
    



select care_plan_start_date
from "permanence"."staging"."stg_extras__cla_care_plan"
where care_plan_start_date is null


