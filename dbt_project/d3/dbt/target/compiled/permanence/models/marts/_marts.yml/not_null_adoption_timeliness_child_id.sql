
    
    



select child_id
from "permanence"."marts"."adoption_timeliness"
where child_id is null


