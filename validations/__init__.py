"""The checks, by when they run:

- `validations.extract`: before load, on each drop (structure, pandera models per table, set-wise
  cross-file rules): `from validations.extract import validate_drop`;
- `validations.marts`: after the dbt build, the cross-mart reconciliations (Great Expectations) and Data Docs;
- `validations.dfe.validator`: the DfE's own 903 rule pack, after the publish (return readiness).
"""
