
    
    



select collection_year
from "permanence"."marts"."reentry_by_previous_exit"
where collection_year is null


