
    
    



select child_id
from "permanence"."marts"."placement_order_duration"
where child_id is null


