
    
    



select collection_year
from "permanence"."marts"."permanence_plan_by_second_review"
where collection_year is null


