
    
    



select la_code
from "permanence"."reference"."la_targets"
where la_code is null


