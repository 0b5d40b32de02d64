
    
    



select measure
from "permanence"."marts"."targets"
where measure is null


