
    
    



select collection_year
from "permanence"."marts"."placement_stability"
where collection_year is null


