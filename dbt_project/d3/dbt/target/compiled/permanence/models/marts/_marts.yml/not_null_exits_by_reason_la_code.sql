
    
    



select la_code
from "permanence"."marts"."exits_by_reason"
where la_code is null


