"""Audit: the audit schema (schema), a load's validation report (validation_report) and its evidence chain (trail)."""
