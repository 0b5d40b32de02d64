
    
    



select child_id
from "permanence"."marts"."spg_cohort_children"
where child_id is null


