"""Reading drops as CMSs export them: tables recognised by header, messy files accepted."""

import pytest

from permanence.contract.frames import ROW, StructuralError
from permanence.ingest.read import identify_table, read_csv_file, read_drop, read_xml_file

EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"


def test_tables_are_recognised_by_header_not_name(write_drop):
    folder = write_drop(
        {
            "export_01.csv": HEADER + "A1,1,01/02/2015,WBRI,A123456789012,,\n",
            "export_02.csv": EPISODES + "A1,01/04/2020,S,C2,N1,U4,PR1,,,,TF1 5AB,TF2 6CD,\n",
            "misc.csv": "CHILD,SEX,DOB,DUC\nA1,1,01/02/2015,01/01/2033\n",
        }
    )
    frames, issues = read_drop(folder)
    assert {f.file_name: f.table.name for f in frames} == {
        "export_01.csv": "header",
        "export_02.csv": "episodes",
        "misc.csv": "uasc",
    }
    assert issues == []


def test_messy_csv_bom_crlf_blank_rows_case_and_extra_column(write_drop):
    text = ("\ufeff" + EPISODES.strip() + ",LOCAL_NOTE\r\n"
            + "a1,01/04/2020,s,c2,n1,u4,pr1,,,,,,,note\r\n"
            + "\r\n,,,,,,,,,,,,,\r\n")
    folder = write_drop({"eps.csv": text})
    ef, issues = read_csv_file(folder / "eps.csv")
    assert ef.table.name == "episodes"
    assert len(ef.frame) == 1
    row = ef.frame.iloc[0]
    assert (row["RNE"], row["LS"], row["PLACE"], row["PLACE_PROVIDER"]) == ("S", "C2", "U4", "PR1")
    assert row["CHILD"] == "a1"  # identifiers are not codes: their case is kept
    assert row[ROW] == 2
    assert [(i.rule_code, i.column_name, i.severity) for i in issues] == [("PERM-EXTRA-COLUMN", "LOCAL_NOTE", "warning")]


def test_cells_cleaned_in_arrow_as_in_python():
    """The reader cleans Arrow-held columns in Arrow's kernels; the result must be what the
    value-at-a-time Python cleaning gives (the XML reader's path), dtype included."""
    import pandas as pd

    from permanence import contract
    from permanence.ingest.read import _normalise

    cells = {
        "CHILD": [" a1 ", "\xa0B2\xa0", "c3", "\td4\n", "  ", "e5"],
        "RNE": [" s", "p ", "\u2003l", "", "  ", None],
        "DECOM": ["01/04/2020 ", "", "02/04/2020", " 03/04/2020", "  ", "x"],
    }
    t = contract.table("episodes")
    arrow = pd.DataFrame({k: pd.array(v, dtype="str") for k, v in cells.items()})
    python = pd.DataFrame({k: pd.array(v, dtype=object) for k, v in cells.items()})
    for df in (arrow, python):
        df[ROW] = df.index + 2
    assert isinstance(arrow["CHILD"].array, pd.arrays.ArrowStringArray)
    got, want = _normalise(arrow, t), _normalise(python, t)
    assert got["RNE"].tolist()[:3] == ["S", "P", "L"] and got["CHILD"].tolist()[:2] == ["a1", "B2"]
    assert len(got) == 5  # the all-blank row is dropped
    pd.testing.assert_frame_equal(got, want.astype({k: got[k].dtype for k in cells}))


def test_row_numbers_are_file_lines_even_after_blank_lines(write_drop):
    folder = write_drop({"h.csv": HEADER + "A1,1,01/02/2015,WBRI,,,\n\nA2,2,01/02/2016,WBRI,,,\n"})
    ef, _ = read_csv_file(folder / "h.csv")
    assert list(ef.frame[ROW]) == [2, 4]


@pytest.mark.parametrize(
    "content, code",
    [
        (b"", "PERM-EMPTY"),
        ("\ufeffCHILD,SEX\n".encode("utf-16"), "PERM-ENCODING"),
        (b"CHILD,SEX,DOB\nA1,1,\xff\xfe01/02/2015\n", "PERM-ENCODING"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PERM-ENCODING"),
    ],
)
def test_unreadable_files_are_structural(write_drop, content, code):
    folder = write_drop({"h.csv": HEADER + "A1,1,01/02/2015,WBRI,,,\n", "f.csv": content})
    with pytest.raises(StructuralError) as exc:
        read_drop(folder)
    assert exc.value.issue.rule_code == code
    assert exc.value.issue.file_name == "f.csv"


def test_row_with_too_many_fields_names_the_line(write_drop):
    folder = write_drop({"h.csv": HEADER + "A1,1,01/02/2015,WBRI,,,\nA2,1,01/02/2015,WBRI,,,,extra,more\n"})
    with pytest.raises(StructuralError) as exc:
        read_csv_file(folder / "h.csv")
    assert exc.value.issue.row_number == 3
    assert "A2" not in str(exc.value)


def test_header_missing_a_column_is_still_recognised():
    cols = EPISODES.strip().split(",")
    cols.remove("REC")
    assert identify_table(cols).name == "episodes"


XML = """<?xml version="1.0" encoding="UTF-8"?>
<Children>
  <CHILD>
    <CHILDID>A1</CHILDID><SEX>1</SEX><DOB>01/02/2015</DOB><ETHNIC>WBRI</ETHNIC><UPN>A123456789012</UPN>
    <MOTHER/><MC_DOB/>
    <DATE_INT>01/01/2021</DATE_INT><DATE_MATCH>01/02/2021</DATE_MATCH><FOSTER_CARE>0</FOSTER_CARE>
    <EPISODE><DECOM>01/04/2020</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U4</PL>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC>01/03/2021</DEC><REC>X1</REC></EPISODE>
    <EPISODE><DECOM>01/03/2021</DECOM><RNE>P</RNE><LS>E1</LS><CIN>N1</CIN><PL>A5</PL>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC>01/09/2021</DEC><REC>E11</REC></EPISODE>
    <HEADER><AREVIEW><REVIEW>01/10/2020</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW></HEADER>
  </CHILD>
</Children>
"""


def test_903_xml_export(write_drop):
    folder = write_drop({"903.xml": XML})
    frames, _ = read_xml_file(folder / "903.xml")
    by_table = {f.table.name: f.frame for f in frames}
    assert set(by_table) == {"header", "ad1", "episodes", "reviews"}
    eps = by_table["episodes"]
    assert list(eps["PLACE"]) == ["U4", "A5"]
    assert list(eps["CHILD"]) == ["A1", "A1"]
    # Records are numbered in file order: the child's Header, then its AD1, then each nested record.
    assert by_table["header"][ROW].tolist() == [1]
    assert by_table["ad1"][ROW].tolist() == [2]
    assert eps[ROW].tolist() == [3, 4]
    assert by_table["reviews"][ROW].tolist() == [5]
    assert by_table["ad1"].iloc[0]["DATE_MATCH"] == "01/02/2021"


def test_malformed_xml_is_structural(write_drop):
    folder = write_drop({"903.xml": "<Children><CHILD><CHILDID>A1</CHILD>"})
    with pytest.raises(StructuralError) as exc:
        read_drop(folder)
    assert exc.value.issue.rule_code == "PERM-XML"


EPISODE_ROW = "A1,01/04/2020,S,C2,N1,U4,PR1,,,,,,\n"
HEADER_ROW = "A1,1,01/02/2015,WBRI,,,\n"


def _good(**more) -> dict:
    return {"h.csv": HEADER + HEADER_ROW, "e.csv": EPISODES + EPISODE_ROW, **more}


def test_dolo_table_of_the_2026_27_903_is_recognised(write_drop):
    folder = write_drop(_good(**{"dolo.csv": "CHILD,DOB,DOLO_START,DOLO_END\nA1,01/02/2015,01/05/2026,\n"}))
    frames, issues = read_drop(folder)
    assert {f.file_name: f.table.name for f in frames}["dolo.csv"] == "dolo"
    assert issues == []


def test_file_the_contract_does_not_know_is_a_warning_not_loaded(write_drop):
    folder = write_drop(_good(**{"notes.csv": "name,address\nx,y\n", "readme.pdf": b"%PDF", "manifest.json": "{}"}))
    frames, issues = read_drop(folder)
    assert sorted(f.file_name for f in frames) == ["e.csv", "h.csv"]
    assert sorted((i.file_name, i.rule_code, i.severity) for i in issues) == [
        ("notes.csv", "PERM-UNRECOGNISED", "warning"),
        ("readme.pdf", "PERM-UNRECOGNISED", "warning"),
    ]


@pytest.mark.parametrize("missing, title", [("h.csv", "Header"), ("e.csv", "Episodes")])
def test_drop_without_header_or_episodes_is_structural(write_drop, missing, title):
    files = _good()
    del files[missing]
    with pytest.raises(StructuralError) as exc:
        read_drop(write_drop(files))
    assert exc.value.issue.rule_code == "PERM-TABLE-MISSING"
    assert f"no {title} table" in str(exc.value)


def test_symlinked_file_is_structural_not_skipped(write_drop, tmp_path):
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text(HEADER + HEADER_ROW)
    folder = write_drop({"e.csv": EPISODES + EPISODE_ROW})
    (folder / "h.csv").symlink_to(elsewhere)
    with pytest.raises(StructuralError) as exc:
        read_drop(folder)
    assert (exc.value.issue.rule_code, exc.value.issue.file_name) == ("PERM-SYMLINK", "h.csv")


def test_file_that_cannot_be_read_is_structural(write_drop, monkeypatch):
    folder = write_drop(_good())
    real = type(folder).read_bytes

    def refuse(self):
        if self.name == "h.csv":
            raise PermissionError(13, "Permission denied")
        return real(self)

    # chmod does not stop root, which CI may run as: refuse the read itself.
    monkeypatch.setattr(type(folder), "read_bytes", refuse)
    with pytest.raises(StructuralError) as exc:
        read_drop(folder)
    assert (exc.value.issue.rule_code, exc.value.issue.file_name) == ("PERM-UNREADABLE", "h.csv")


def _one_line(xml: str) -> str:
    import re

    return re.sub(r">\s+<", "><", xml).replace("\n", "")


def test_xml_on_one_line_numbers_records_like_pretty_printed(write_drop):
    pretty, _ = read_xml_file(write_drop({"903.xml": XML}, name="a") / "903.xml")
    flat, _ = read_xml_file(write_drop({"903.xml": _one_line(XML)}, name="b") / "903.xml")
    assert len(_one_line(XML).splitlines()) == 1
    for p, f in zip(pretty, flat, strict=True):
        assert p.table.name == f.table.name
        assert p.frame.equals(f.frame)
    rows = [r for ef in flat for r in ef.frame[ROW]]
    assert len(rows) == len(set(rows))  # unique across the file's tables


def test_a_2026_27_drop_with_dolo_pulls_validates_and_loads(write_drop, tmp_path):
    """Pull, read, validate, pseudonymise and load (no dbt): the DoLO rows reach raw.dolo."""
    import datetime as dt

    from permanence import warehouse
    from permanence.ingest.pseudonymise import pseudonymise_frame
    from permanence.ingest.pull import pull
    from validations.extract import validate_drop

    folder = write_drop(
        _good(**{
            "h.csv": "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA1,M,01/02/2015,WBRI,,,\n",
            "e.csv": EPISODES + "A1,01/04/2026,S,C2,N1,U4,PR1,,,,,,\n",
            "deprivation of liberty.csv": "CHILD,DOB,DOLO_START,DOLO_END\nA1,01/02/2015,01/05/2026,01/08/2026\n",
            "guidance.docx": b"PK",
        }),
        name="894_2027-03-31",
    )
    drop = pull(str(folder), "894", tmp_path / "archive")
    assert "guidance.docx" in {f.name for f in drop.files}  # archived as it came
    frames, reader_issues = read_drop(drop.folder)
    out = validate_drop(frames, drop.extract_date)
    assert out.structural == [] and out.rejected_rows == {}
    assert [(i.file_name, i.rule_code) for i in reader_issues + out.issues] == [("guidance.docx", "PERM-UNRECOGNISED")]
    rows = [warehouse.raw_rows(pseudonymise_frame(ef, b"k" * 32, "894"), set(),
                               {"load_id": "L1", "la_code": "894", "extract_date": drop.extract_date,
                                "source_file": ef.file_name, "source_sha256": "0" * 64}) for ef in frames]
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        warehouse.create_schema(con)
        loaded = warehouse.load_rows(con, rows, load_id="L1", la_code="894", extract_date=drop.extract_date)
        got = con.execute("select child, dob, dolo_start, dolo_end from raw.dolo").fetchall()
    assert loaded["deprivation of liberty.csv"] == 1
    assert got == [(got[0][0], dt.date(2015, 2, 1), dt.date(2026, 5, 1), dt.date(2026, 8, 1))]
    assert len(got[0][0]) == 64 and got[0][0] != "A1"  # the child id is a pseudonym


def test_a_header_cell_over_128_kb_is_structural_not_a_crash(write_drop):
    folder = write_drop({"e.csv": EPISODES.rstrip("\n") + "," + "X" * 200_000 + "\n" + EPISODE_ROW})
    with pytest.raises(StructuralError) as exc:
        read_drop(folder)
    assert (exc.value.issue.rule_code, exc.value.issue.row_number) == ("PERM-FIELD-SIZE", 1)
    assert "XXXX" not in str(exc.value)
