import pandas as pd
import pytest

from permanence import contract
from permanence.contract.frames import ROW, ExtractFrame
from permanence.ingest.pseudonymise import MissingKeyError, pseudonym, pseudonymise_frame, resolve_key


def _frame(table, rows):
    df = pd.DataFrame(rows)
    df[ROW] = range(2, len(df) + 2)
    return ExtractFrame(contract.table(table), "f.csv", df)


def test_ids_hashed_stably_per_la_dob_to_month_postcode_to_district_upn_dropped():
    ef = _frame("header", [{"CHILD": "C001", "SEX": "1", "DOB": "17/05/2014", "ETHNIC": "WBRI",
                            "UPN": "A123456789012", "MOTHER": None, "MC_DOB": None}])
    out = pseudonymise_frame(ef, b"k", "894").frame
    assert out.loc[0, "CHILD"] == pseudonym(b"k", "894", "C001") != pseudonym(b"k", "332", "C001")
    assert len(out.loc[0, "CHILD"]) == 64 and "C001" not in out.loc[0, "CHILD"]
    assert out.loc[0, "DOB"] == "01/05/2014"
    assert "UPN" not in out.columns
    assert out.loc[0, "MC_DOB"] is None
    # stable across loads: the same key and LA give the same pseudonym
    assert pseudonymise_frame(ef, b"k", "894").frame.loc[0, "CHILD"] == out.loc[0, "CHILD"]
    assert pseudonymise_frame(ef, b"other", "894").frame.loc[0, "CHILD"] != out.loc[0, "CHILD"]


def test_postcodes_keep_district_only():
    ef = _frame("episodes", [{"CHILD": "C1", "DECOM": "01/04/2020", "HOME_POST": "tf1 5ab", "PL_POST": "TF2"},
                             {"CHILD": "C1", "DECOM": "01/05/2020", "HOME_POST": None, "PL_POST": "B69  3XY"}])
    out = pseudonymise_frame(ef, b"k", "894").frame
    assert list(out["HOME_POST"]) == ["TF1", None]
    assert list(out["PL_POST"]) == ["TF2", "B69"]


def test_key_sources(tmp_path, monkeypatch):
    strong = "dee3cc1e9b82bd2d4085ba80cfd730f9b59323df11f7ec9c51f9f079c2e5bf98"
    assert resolve_key(strong, None)[0] == strong.encode()
    with pytest.raises(MissingKeyError):
        resolve_key(None, None, tmp_path / "missing.key")
    key, where = resolve_key(None, None, tmp_path / "k" / "demo.key", create=True)
    assert len(key) == 64 and "generated" in where
    assert (tmp_path / "k" / "demo.key").stat().st_mode & 0o077 == 0
    assert resolve_key(None, None, tmp_path / "k" / "demo.key")[0] == key
