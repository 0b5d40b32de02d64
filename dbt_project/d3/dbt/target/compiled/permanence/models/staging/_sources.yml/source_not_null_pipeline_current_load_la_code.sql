
    
    



select la_code
from "permanence"."raw"."current_load"
where la_code is null


