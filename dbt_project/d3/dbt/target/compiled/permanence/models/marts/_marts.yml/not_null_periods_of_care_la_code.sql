
    
    



select la_code
from "permanence"."marts"."periods_of_care"
where la_code is null


