
    
    



select collection_year
from "permanence"."marts"."care_proceedings_timeliness"
where collection_year is null


