
    
    



select source
from "permanence"."marts"."benchmark"
where source is null


