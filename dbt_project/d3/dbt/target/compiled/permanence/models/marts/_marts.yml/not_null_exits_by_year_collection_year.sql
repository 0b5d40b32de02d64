
    
    



select collection_year
from "permanence"."marts"."exits_by_year"
where collection_year is null


