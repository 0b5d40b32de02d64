
    
    



select la_code
from "permanence"."marts"."care_proceedings_open"
where la_code is null


