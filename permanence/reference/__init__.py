"""Published reference data: DfE statistical neighbours, LA lookup, ONS 0-17 population and DfE
children-looked-after LA tables, loaded into the warehouse schema `reference` for benchmarking.

    from permanence.reference import load_sources
    report = load_sources(["../shared/reference/"], warehouse=Path("data/warehouse/permanence.duckdb"))
    for f in report.files: print(f.file, f.family, f.rows, f.message)

Each source is a file or a folder, a path or any fsspec URL (https://, s3://, sftp://). Files are
recognised by their columns (permanence.reference.families), never their names; a folder loads every
recognised file and reports the others. Reloading a family replaces its superseded rows.
"""

from permanence.reference.loader import FileResult, LoadReport, load_sources, load_into
from permanence.reference.store import create_reference_schema

__all__ = ["FileResult", "LoadReport", "create_reference_schema", "load_into", "load_sources"]
