
    
    



select la_code
from "permanence"."marts"."weekly_cost_by_cohort"
where la_code is null


