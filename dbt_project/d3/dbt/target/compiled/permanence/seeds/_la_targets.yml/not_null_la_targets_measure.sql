
    
    



select measure
from "permanence"."reference"."la_targets"
where measure is null


