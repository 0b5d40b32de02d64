
    select la_code, child_id, sw_episode_start_date, extract_date, count(*) as n_records
    from "permanence"."staging"."stg_ssda903__social_worker_episodes"
    group by la_code, child_id, sw_episode_start_date, extract_date
    having count(*) > 1
