
    
    



select period
from "permanence"."marts"."targets"
where period is null


