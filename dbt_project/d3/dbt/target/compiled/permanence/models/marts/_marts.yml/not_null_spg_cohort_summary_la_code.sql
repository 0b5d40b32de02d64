
    
    



select la_code
from "permanence"."marts"."spg_cohort_summary"
where la_code is null


