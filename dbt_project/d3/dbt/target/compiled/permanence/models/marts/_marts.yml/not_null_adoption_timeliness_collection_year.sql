
    
    



select collection_year
from "permanence"."marts"."adoption_timeliness"
where collection_year is null


