"""Operations: the server and its deployments (serve), notifications, run logs, retention, erasure, and the
safety checks every command makes (security)."""
