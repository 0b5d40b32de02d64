
    
    



select child_id
from "permanence"."marts"."periods_of_care"
where child_id is null


