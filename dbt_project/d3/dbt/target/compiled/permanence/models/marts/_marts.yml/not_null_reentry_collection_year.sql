
    
    



select collection_year
from "permanence"."marts"."reentry"
where collection_year is null


