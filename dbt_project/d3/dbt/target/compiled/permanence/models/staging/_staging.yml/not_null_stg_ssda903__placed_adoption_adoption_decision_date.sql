
    
    



select adoption_decision_date
from "permanence"."staging"."stg_ssda903__placed_adoption"
where adoption_decision_date is null


