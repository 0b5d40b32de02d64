
    
    



select collection_year
from "permanence"."marts"."duration_in_care"
where collection_year is null


