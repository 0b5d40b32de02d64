
    
    



select la_code
from "permanence"."marts"."benchmark"
where la_code is null


