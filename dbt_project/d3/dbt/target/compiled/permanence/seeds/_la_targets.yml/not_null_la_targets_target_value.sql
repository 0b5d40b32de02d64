
    
    



select target_value
from "permanence"."reference"."la_targets"
where target_value is null


