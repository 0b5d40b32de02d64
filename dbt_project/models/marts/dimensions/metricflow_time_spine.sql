-- MetricFlow's daily time spine (dbt semantic layer): every day the marts' dates can fall on.
select cast(date_day as date) as date_day
from ({{ dbt.date_spine('day', "cast('1990-01-01' as date)", "cast('2041-01-01' as date)") }}) as spine
