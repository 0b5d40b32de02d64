import os
from pathlib import Path

import pytest

for _var, _value in {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}.items():
    os.environ.setdefault(_var, _value)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_environment():
    """Commands run in-process (CliRunner) set environment variables: keep them in their test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def write_drop(tmp_path):
    """Write a drop folder from {file_name: text}; returns its path."""

    def _write(files: dict[str, str | bytes], name: str = "894_2025-03-31") -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True)
        for fname, content in files.items():
            data = content if isinstance(content, bytes) else content.encode()
            (folder / fname).write_bytes(data)
        return folder

    return _write
