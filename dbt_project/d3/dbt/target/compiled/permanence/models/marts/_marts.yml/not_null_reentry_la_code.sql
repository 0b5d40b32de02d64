
    
    



select la_code
from "permanence"."marts"."reentry"
where la_code is null


