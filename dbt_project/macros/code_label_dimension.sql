{#
    One code list of the code_labels seed (generated from permanence/contract: codelists.yaml and
    labels.yaml) as a table of its own, for BI tools to join on the code. A blank label stays null.
#}
{% macro code_label_dimension(code_list) -%}
select
    cast(code as varchar) as code,
    cast(label as varchar) as label,
    cast(valid_from as varchar) as valid_from,
    cast(valid_to as varchar) as valid_to
from {{ ref('code_labels') }}
where code_list = '{{ code_list }}'
{%- endmacro %}
