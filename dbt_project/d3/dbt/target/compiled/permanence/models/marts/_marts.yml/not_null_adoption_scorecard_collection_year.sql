
    
    



select collection_year
from "permanence"."marts"."adoption_scorecard"
where collection_year is null


