"""Transform: the dbt build (dbt) and the semantic layer's labels (semantic)."""
