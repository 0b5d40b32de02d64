
    
    



select target_kind
from "permanence"."reference"."la_targets"
where target_kind is null


