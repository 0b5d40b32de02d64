
    
    



select direction
from "permanence"."reference"."la_targets"
where direction is null


