"""Publish: the two copies of the marts and their Parquet (copies), and what each tier may see (tiers)."""
