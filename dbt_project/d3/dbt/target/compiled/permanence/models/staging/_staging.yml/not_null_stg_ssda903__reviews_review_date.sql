
    
    



select review_date
from "permanence"."staging"."stg_ssda903__reviews"
where review_date is null


