
    
    



select period
from "permanence"."reference"."la_targets"
where period is null


