
    
    



select la_code
from "permanence"."marts"."care_proceedings_timeliness"
where la_code is null


