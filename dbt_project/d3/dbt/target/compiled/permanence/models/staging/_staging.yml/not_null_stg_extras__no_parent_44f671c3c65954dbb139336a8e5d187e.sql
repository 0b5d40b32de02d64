
    
    



select no_pr_start_date
from "permanence"."staging"."stg_extras__no_parental_responsibility"
where no_pr_start_date is null


