
    
    



select period
from "permanence"."marts"."benchmark"
where period is null


