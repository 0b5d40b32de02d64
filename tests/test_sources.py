import datetime as dt
import json

import pytest

from permanence.extract import StructuralError
from permanence.sources import pull


def test_pull_archives_read_only_and_same_drop_twice_lands_once(write_drop, tmp_path):
    folder = write_drop({"a.csv": "CHILD,SEX\n", "manifest.json": json.dumps({"la_code": "894", "extract_date": "2025-03-31"})},
                        name="anything")
    archive = tmp_path / "archive"
    first = pull(str(folder), "894", archive)
    assert first.extract_date == dt.date(2025, 3, 31)
    assert not first.already_archived
    assert {f.name for f in first.files} == {"a.csv", "manifest.json"}
    assert (first.folder / "a.csv").read_bytes() == (folder / "a.csv").read_bytes()
    assert not (first.folder / "a.csv").stat().st_mode & 0o222  # archived files are read-only
    second = pull(f"file://{folder}", "894", archive)
    assert second.already_archived and second.folder == first.folder
    assert second.drop_sha256 == first.drop_sha256
    (folder / "a.csv").write_text("CHILD,SEX\nX,1\n")
    third = pull(str(folder), "894", archive)
    assert third.drop_sha256 != first.drop_sha256 and third.folder != first.folder


def test_extract_date_from_folder_name_and_override(write_drop, tmp_path):
    folder = write_drop({"a.csv": "x\n"}, name="894_2024-09-30")
    assert pull(str(folder), "894", tmp_path / "ar").extract_date == dt.date(2024, 9, 30)
    assert pull(str(folder), "894", tmp_path / "ar", as_at=dt.date(2024, 10, 1)).extract_date == dt.date(2024, 10, 1)


def test_no_date_and_wrong_la_are_structural(write_drop, tmp_path):
    folder = write_drop({"a.csv": "x\n"}, name="undated")
    with pytest.raises(StructuralError, match="extract date"):
        pull(str(folder), "894", tmp_path / "ar")
    other = write_drop({"manifest.json": '{"la_code": "332", "extract_date": "2025-03-31"}'}, name="x")
    with pytest.raises(StructuralError, match="LA 332"):
        pull(str(other), "894", tmp_path / "ar")


def test_symlink_in_a_drop_is_refused_not_skipped(write_drop, tmp_path):
    elsewhere = tmp_path / "header_elsewhere.csv"
    elsewhere.write_text("CHILD,SEX\n")
    folder = write_drop({"episodes.csv": "CHILD,DECOM\n"})
    (folder / "header.csv").symlink_to(elsewhere)
    archive = tmp_path / "ar"
    with pytest.raises(StructuralError) as exc:
        pull(str(folder), "894", archive)
    assert (exc.value.issue.rule_code, exc.value.issue.file_name) == ("PERM-SYMLINK", "header.csv")
    assert not any((archive / "894").glob("2025-03-31/*"))  # nothing half-archived


def test_unreadable_file_in_a_drop_is_refused(write_drop, tmp_path, monkeypatch):
    import fsspec.implementations.local as local

    folder = write_drop({"header.csv": "CHILD,SEX\n", "episodes.csv": "CHILD,DECOM\n"})
    real = local.LocalFileSystem._open

    def refuse(self, path, *a, **kw):
        if str(path).endswith("header.csv"):
            raise PermissionError(13, "Permission denied")
        return real(self, path, *a, **kw)

    # chmod does not stop root, which CI may run as: refuse the open itself.
    monkeypatch.setattr(local.LocalFileSystem, "_open", refuse)
    with pytest.raises(StructuralError) as exc:
        pull(str(folder), "894", tmp_path / "ar")
    assert (exc.value.issue.rule_code, exc.value.issue.file_name) == ("PERM-UNREADABLE", "header.csv")
