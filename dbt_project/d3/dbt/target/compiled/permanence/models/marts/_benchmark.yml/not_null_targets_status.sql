
    
    



select status
from "permanence"."marts"."targets"
where status is null


