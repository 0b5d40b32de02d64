
    
    



select la_code
from "permanence"."marts"."exits_by_year"
where la_code is null


