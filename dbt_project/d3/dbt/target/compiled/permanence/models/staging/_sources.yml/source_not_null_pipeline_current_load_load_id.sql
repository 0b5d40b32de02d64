
    
    



select load_id
from "permanence"."raw"."current_load"
where load_id is null


