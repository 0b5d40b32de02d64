"""Ingest: pull a drop and archive it untouched (pull), read it (read), pseudonymise it, and
the load's shape (load); cleaning runs in worker processes (workers)."""
