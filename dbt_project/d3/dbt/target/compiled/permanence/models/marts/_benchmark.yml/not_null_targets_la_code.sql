
    
    



select la_code
from "permanence"."marts"."targets"
where la_code is null


