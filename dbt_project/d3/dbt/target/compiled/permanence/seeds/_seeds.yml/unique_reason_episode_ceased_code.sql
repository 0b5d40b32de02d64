
    
    

select
    code as unique_field,
    count(*) as n_records

from "permanence"."reference"."reason_episode_ceased"
where code is not null
group by code
having count(*) > 1


