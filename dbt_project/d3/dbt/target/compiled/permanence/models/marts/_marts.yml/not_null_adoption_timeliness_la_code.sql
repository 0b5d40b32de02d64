
    
    



select la_code
from "permanence"."marts"."adoption_timeliness"
where la_code is null


