
    
    



select collection_year
from "permanence"."marts"."exits_by_reason"
where collection_year is null


