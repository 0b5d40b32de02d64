
    
    



select la_code
from "permanence"."marts"."duration_in_care"
where la_code is null


