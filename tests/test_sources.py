import datetime as dt
import json

import pytest

from permanence.contract.frames import StructuralError
from permanence.ingest.pull import pull


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
    overridden = pull(str(folder), "894", tmp_path / "ar", extract_date=dt.date(2024, 10, 1))
    assert (overridden.extract_date, overridden.extract_date_from) == (dt.date(2024, 10, 1), "--extract-date")


def test_extract_date_precedence_and_the_day_of_the_pull(write_drop, tmp_path):
    """E: --extract-date, else the manifest, else a date ending the folder name, else the day of the pull."""
    both = write_drop({"manifest.json": '{"extract_date": "2024-08-31"}'}, name="894_2024-09-30")
    assert pull(str(both), "894", tmp_path / "ar").extract_date == dt.date(2024, 8, 31)
    undated = pull(str(write_drop({"a.csv": "x\n"}, name="undated")), "894", tmp_path / "ar")
    assert (undated.extract_date, undated.extract_date_from) == (dt.date.today(), "day of the pull")
    assert undated.collection_year is None and undated.coverage_start is None


def test_yearly_return_year_extract_date_and_coverage(write_drop, tmp_path):
    """A yearly 903 return: its year from the manifest or folder name; E the 31 March ending it; C its 1 April."""
    by_name = pull(str(write_drop({"a.csv": "x\n"}, name="2019-20")), "894", tmp_path / "ar")
    assert (by_name.collection_year, by_name.extract_date, by_name.coverage_start) == (
        "2019-20", dt.date(2020, 3, 31), dt.date(2019, 4, 1))
    assert pull(str(write_drop({"a.csv": "x\n"}, name="returns_2018")), "894", tmp_path / "ar").collection_year == "2018-19"
    declared = write_drop({"manifest.json": '{"collection_year": "2017-18", "coverage_start": "2010-01-01"}'}, name="x1")
    got = pull(str(declared), "894", tmp_path / "ar")
    assert (got.collection_year, got.coverage_start) == ("2017-18", dt.date(2010, 1, 1))
    assert pull(str(declared), "894", tmp_path / "ar", coverage_start=dt.date(2015, 4, 1)).coverage_start == dt.date(2015, 4, 1)
    with pytest.raises(StructuralError, match="collection_year"):
        pull(str(write_drop({"manifest.json": '{"collection_year": "last year"}'}, name="x2")), "894", tmp_path / "ar")


def test_wrong_la_is_structural(write_drop, tmp_path):
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


def test_a_file_over_the_size_limit_refuses_the_drop_before_anything_is_copied(write_drop, tmp_path):
    folder = write_drop({"episodes.csv": "CHILD,DECOM\n" + "A1,01/04/2020\n" * 200, "header.csv": "CHILD,SEX\n"})
    archive = tmp_path / "ar"
    with pytest.raises(StructuralError) as exc:
        pull(str(folder), "894", archive, max_file_bytes=1000)
    issue = exc.value.issue
    assert (issue.rule_code, issue.file_name, issue.severity) == ("PERM-FILE-SIZE", "episodes.csv", "structural")
    assert "PERMANENCE_MAX_FILE_MB" in issue.rule and not any((archive / "894").rglob("*.csv"))
    assert pull(str(folder), "894", archive, max_file_bytes=10_000).files  # under the limit: archived


def test_a_silent_source_is_waited_for_before_the_lock_then_left_to_the_pull(monkeypatch, tmp_path):
    """Network trouble is retried before the run takes the warehouse lock (three tries, 5 s and 30 s
    apart); the pull under the lock is tried once, so no run holds the lock while it waits."""
    from flows import nightly
    from permanence.ingest import pull as sources

    tries, slept = [], []

    def flaky(source):
        tries.append(source)
        if len(tries) < 3:
            raise OSError("connection reset")

    monkeypatch.setattr(sources, "reach", flaky)
    nightly.wait_for_sources([("sftp://cms/drops/a", "894")], sleep=slept.append)
    assert len(tries) == 3 and slept == [5, 30]
    # a source refused for what it is is not tried again; one still silent is left to the pull
    slept.clear()
    def refused(source):
        raise StructuralError(_issue())

    monkeypatch.setattr(sources, "reach", refused)
    nightly.wait_for_sources([(str(tmp_path / "nowhere"), "894")], sleep=slept.append)
    assert slept == []
    def silent(source):
        raise TimeoutError()

    monkeypatch.setattr(sources, "reach", silent)
    nightly.wait_for_sources([(["a", "b"], "894")], sleep=slept.append)
    assert slept == [5, 30, 5, 30]
    assert nightly.pull.retries == 0  # the pull itself: once, under the lock


def _issue():
    from permanence.contract.frames import Issue

    return Issue("x", None, "PERM-SOURCE", "source is not a folder that can be read", "structural")


def test_reach_refuses_a_source_that_is_no_folder(tmp_path):
    from permanence.ingest.pull import reach

    with pytest.raises(StructuralError) as exc:
        reach(str(tmp_path / "nowhere"))
    assert exc.value.issue.rule_code == "PERM-SOURCE"
    reach(str(tmp_path))  # a folder that answers


def test_a_malformed_manifest_is_refused_at_once_never_waited_on(write_drop, tmp_path):
    from flows import nightly

    folder = write_drop({"manifest.json": '{"extract_date": ', "header.csv": "CHILD,SEX\n"}, name="bad")
    slept = []
    nightly.wait_for_sources([(str(folder), "894")], sleep=slept.append)  # it answers: no wait
    assert slept == []
    with pytest.raises(StructuralError) as exc:
        pull(str(folder), "894", tmp_path / "ar")
    assert (exc.value.issue.rule_code, exc.value.issue.file_name) == ("PERM-MANIFEST", "manifest.json")
    assert not any((tmp_path / "ar").rglob("*.csv"))
