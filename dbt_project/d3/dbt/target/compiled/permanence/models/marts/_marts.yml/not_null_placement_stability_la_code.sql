
    
    



select la_code
from "permanence"."marts"."placement_stability"
where la_code is null


