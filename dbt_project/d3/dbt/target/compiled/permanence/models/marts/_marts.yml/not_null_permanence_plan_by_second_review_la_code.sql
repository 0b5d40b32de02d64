
    
    



select la_code
from "permanence"."marts"."permanence_plan_by_second_review"
where la_code is null


