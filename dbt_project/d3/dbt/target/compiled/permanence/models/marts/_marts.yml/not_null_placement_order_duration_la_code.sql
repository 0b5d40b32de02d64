
    
    



select la_code
from "permanence"."marts"."placement_order_duration"
where la_code is null


