
    
    



select measure
from "permanence"."marts"."benchmark"
where measure is null


