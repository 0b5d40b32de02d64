
    
    



select la_code
from "permanence"."staging"."stg_extras__cla_care_plan"
where la_code is null


