
    
    



select la_code
from "permanence"."marts"."reentry_by_previous_exit"
where la_code is null


