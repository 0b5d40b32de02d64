"""The DfE's own 903 rule pack (Data to Insight's csc-validator-be-903) in its own env (validator,
runner), run on each published load's drop for return readiness (readiness)."""
