
    
    



select la_code
from "permanence"."marts"."spg_cohort_children"
where la_code is null


