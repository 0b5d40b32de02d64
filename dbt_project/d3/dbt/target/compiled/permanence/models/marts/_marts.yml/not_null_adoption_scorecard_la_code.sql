
    
    



select la_code
from "permanence"."marts"."adoption_scorecard"
where la_code is null


