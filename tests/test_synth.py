"""The synthetic extract generator: determinism, 903 sequence rules, code lists, layout, defects."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from permanence.contract import codelists, collection_year, tables
from permanence.synth import DEFECTS, Drop, generate_region, write_defective_drop
from permanence.synth.days import birthday

SMALL = dict(las=2, children=40, years=3, seed=7)


# --------------------------------------------------------------------------- reading a drop


def identify(path: Path) -> str | None:
    """The contract table whose columns are exactly this file's header row, as the reader does."""
    first = path.open("rb").readline().decode("utf-8-sig").strip().split(",")
    for name, t in tables().items():
        if first == t.column_names:
            return name
    return None


def read_drop(folder: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for f in sorted(folder.glob("*.csv")):
        name = identify(f)
        assert name is not None, f"{f.name}: header matches no contract table"
        assert name not in out, f"two files hold {name}"
        out[name] = pd.read_csv(f, dtype=str, keep_default_na=False)
    return out


def dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.replace("", None), format="%d/%m/%Y")


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> list[Drop]:
    return generate_region(tmp_path_factory.mktemp("region"), **SMALL)


@pytest.fixture(scope="module")
def frames(region) -> list[tuple[Drop, dict[str, pd.DataFrame]]]:
    return [(d, read_drop(d.path)) for d in region]


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- layout and determinism


def test_same_arguments_give_identical_bytes(tmp_path):
    a = generate_region(tmp_path / "a", **SMALL)
    b = generate_region(tmp_path / "b", **SMALL)
    assert [d.children for d in a] == [d.children for d in b]
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    c = generate_region(tmp_path / "c", **{**SMALL, "seed": 8})
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_drop_layout_and_manifest(region, frames):
    codes = [d.la_code for d in region]
    assert len(set(codes)) == len(codes) and codes[0] == "894"
    assert all(re.fullmatch(r"\d{3}", c) for c in codes)
    for drop, f in frames:
        assert drop.path.name == f"{drop.la_code}_{drop.extract_date.isoformat()}"
        m = json.loads((drop.path / "manifest.json").read_text())
        assert m["la_code"] == drop.la_code and m["la_name"] == drop.la_name
        assert m["extract_date"] == drop.extract_date.isoformat()
        assert m["generator"] == "permanence.synth" and m["seed"] == SMALL["seed"]
        # No DoLo: the generator writes no deprivation of liberty orders (a 2026-27 table) yet.
        expected = {n for n in tables() if n not in ("oc2", "oc3", "dolo")}
        assert set(f) == expected  # social worker episodes: the default extract is 2024-25
        assert drop.children == len(f["header"])
        assert f["header"].CHILD.is_unique
    # File names follow the CMS style, so they differ between LAs.
    names = [sorted(p.name for p in d.path.glob("*.csv")) for d in region]
    assert names[0] != names[1]


def test_region_size_and_synthetic_codes(tmp_path):
    from permanence.synth.region import KNOWN_LAS, region_las

    las = region_las(153)
    codes = [la.code for la in las]
    assert len(set(codes)) == 153
    real = {c for c, _ in KNOWN_LAS}
    assert all(201 <= int(c) <= 938 for c in codes if c in real)
    assert all(not 201 <= int(c) <= 938 for c in codes if c not in real)


def test_social_worker_episodes_only_from_2023_24(tmp_path):
    drops = generate_region(tmp_path, las=1, children=20, years=2, extract_date=dt.date(2022, 3, 31))
    assert "social_worker_episodes" not in read_drop(drops[0].path)


# --------------------------------------------------------------------------- sequence rules


def check_episodes(ep: pd.DataFrame, header: pd.DataFrame, extract: dt.date) -> None:
    """Every SSDA903 sequence rule the generator promises, vectorised over one LA's episodes."""
    e = ep.copy()
    e["decom"], e["dec"] = dates(e.DECOM), dates(e.DEC)
    e = e.sort_values(["CHILD", "decom"], kind="stable").reset_index(drop=True)
    dob = dates(header.set_index("CHILD").DOB)
    e["dob"] = e.CHILD.map(dob)
    assert e.dob.notna().all(), "episode for a child not in the header"
    # 18th birthdays as the generator counts them (29 February birthdays fall on 1 March).
    b18 = pd.Series(
        pd.to_datetime([dt.date.fromordinal(birthday(d.toordinal(), 18)) for d in e.dob.dt.date]), index=e.index
    )
    end = pd.Timestamp(extract)

    nxt = e.shift(-1)
    same = nxt.CHILD == e.CHILD
    prv = e.shift(1)
    same_prev = prv.CHILD == e.CHILD

    assert (e.decom <= end).all() and (e.dec.dropna() <= end).all(), "date after the extract date"
    assert (e.decom >= e.dob).all(), "DECOM before DOB"
    assert (e.decom < b18).all(), "child 18 or over at DECOM"
    assert (e.dec.isna() | (e.dec <= b18)).all(), "left after 18th birthday"
    assert (e.dec.isna() | (e.dec > e.decom)).all(), "DEC not after DECOM"
    assert not (same & (e.dec.isna() | (nxt.decom < e.dec))).any(), "overlapping episodes"
    assert not (same & (nxt.decom == e.decom)).any(), "duplicate DECOM"

    chained = same & (e.REC == "X1") & (e.dec == nxt.decom)
    assert ((e.REC == "X1") <= chained).all(), "X1 without a continuation"
    starts = ~chained.shift(1, fill_value=False)
    assert (e.RNE[starts] == "S").all(), "period not starting with RNE S"
    assert (e.RNE[~starts] != "S").all(), "RNE S inside a period"
    # A new period after an ended one starts at least a day later.
    gap = same & ~chained
    assert ((nxt.decom - e.dec)[gap] >= pd.Timedelta(days=1)).all(), "periods not separated"
    # The last episode of a period: an exit code with DEC, or open with both blank.
    last = ~chained
    closed_ok = e.dec.notna() & (e.REC != "") & (e.REC != "X1")
    open_ok = e.dec.isna() & (e.REC == "")
    assert (closed_ok | open_ok)[last].all(), "bad period end"
    assert e.dec.isna().groupby(e.CHILD).sum().max() <= 1, "more than one open episode"
    assert not (e.dec.isna() & same).any(), "open episode followed by another"

    # RNE says what changed from the previous episode of the period.
    cont = ~starts
    ls_chg = (e.LS != prv.LS)[cont]
    pl_chg = (e.PLACE != prv.PLACE)[cont]
    prov_same = (e.PLACE_PROVIDER == prv.PLACE_PROVIDER)[cont]
    rne = e.RNE[cont]
    assert (ls_chg & ~pl_chg & prov_same)[rne == "L"].all(), "RNE L but placement changed"
    assert (~ls_chg & pl_chg & prov_same)[rne == "T"].all(), "RNE T inconsistent"
    assert (ls_chg & pl_chg & prov_same)[rne == "U"].all(), "RNE U inconsistent"
    assert (~ls_chg)[rne == "P"].all(), "RNE P with a legal status change"
    assert ls_chg[rne == "B"].all(), "RNE B without a legal status change"
    assert same_prev[cont].all()


def test_episode_sequence_rules(frames):
    for drop, f in frames:
        assert len(f["episodes"]) > 50
        check_episodes(f["episodes"], f["header"], drop.extract_date)


def test_codes_valid_for_their_collection_year(frames):
    lists = codelists()
    for drop, f in frames:
        extract_year = collection_year(drop.extract_date)
        for name, df in f.items():
            t = tables()[name]
            year = (
                dates(df[t.year_from]).map(lambda d: collection_year(d.date()) if pd.notna(d) else extract_year)
                if t.year_from
                else pd.Series(extract_year, index=df.index)
            )
            for col in t.of_kind("code"):
                values = df[col.name]
                blank = values == ""
                if not col.nullable:
                    assert not blank.any(), f"{name}.{col.name} blank"
                ok = [v in lists[col.codes].valid_for(y) for v, y in zip(values[~blank], year[~blank])]
                assert all(ok), f"{name}.{col.name}: invalid codes {set(values[~blank][~np.array(ok, bool)])}"
            for col in t.of_kind("date", "dob"):
                values = df[col.name]
                if not col.nullable:
                    assert (values != "").all(), f"{name}.{col.name} blank"
                parsed = dates(values)
                assert (parsed.dropna() <= pd.Timestamp(drop.extract_date)).all(), f"{name}.{col.name} in the future"
            key = df[list(t.key)]
            assert not key.duplicated().any(), f"{name}: duplicate key {t.key}"


def test_year_keyed_codes_follow_the_code_lists(tmp_path):
    old = read_drop(generate_region(tmp_path / "old", las=1, children=200, years=4, extract_date=dt.date(2023, 3, 31))[0].path)
    new = read_drop(generate_region(tmp_path / "new", las=1, children=200, years=4, extract_date=dt.date(2025, 3, 31))[0].path)
    assert set(old["header"].SEX) <= {"1", "2"}
    assert set(new["header"].SEX) <= {"M", "F", "U"}
    assert "K3" not in set(old["episodes"].PLACE)
    k3 = new["episodes"][new["episodes"].PLACE == "K3"]
    assert len(k3) and (dates(k3.DECOM) >= pd.Timestamp(2023, 4, 1)).all()
    assert "Z1" not in set(new["episodes"].PLACE)


def test_identifiers_are_synthetic_shapes(frames):
    for drop, f in frames:
        h = f["header"]
        assert h.CHILD.str.startswith(drop.la_code).all()
        upn = h.UPN[h.UPN != ""]
        assert upn.str.fullmatch(r"[A-Z]\d{12}").all()
        post = pd.concat([f["episodes"].HOME_POST, f["episodes"].PL_POST])
        post = post[post != ""]
        assert post.str.fullmatch(r"Q[A-Z]\d{1,2} \d[A-Z]{2}").all()


def test_side_tables_follow_the_episodes(frames):
    for drop, f in frames:
        ep, ad1 = f["episodes"], f["ad1"]
        children = set(f["header"].CHILD)
        for name, df in f.items():
            col = tables()[name].child_column
            assert set(df[col]) <= children, f"{name} has children not in the header"
        adopted = set(ep.CHILD[ep.REC.isin(["E11", "E12"])])
        assert set(ad1.CHILD) == adopted
        for _, a in ad1.iterrows():
            e = ep[ep.CHILD == a.CHILD].assign(d=lambda x: dates(x.DECOM)).sort_values("d")
            first_a = e[e.PLACE.isin(["A3", "A4", "A5", "A6"])].iloc[0]
            assert dates(pd.Series([a.DATE_INT]))[0] <= dates(pd.Series([a.DATE_MATCH]))[0] <= first_a.d
            # Adopted by the current foster carers: the adoptive placement kept the carer.
            assert (a.FOSTER_CARE == "1") == (first_a.RNE in ("T", "U"))
        pa = f["placed_adoption"]
        assert set(pa.CHILD) >= adopted
        assert set(pa.CHILD) <= set(f["permanence"].perm_person_id)
        uasc = set(f["uasc"].CHILD)
        assert uasc and len(uasc) < len(children) / 4
        rv = f["reviews"].merge(f["header"][["CHILD", "DOB"]], on="CHILD", suffixes=("", "_h"))
        assert (rv.DOB == rv.DOB_h).all()


def test_every_spg_cohort_has_members_on_the_extract_date(frames):
    for drop, f in frames:
        ep = f["episodes"]
        d = pd.Timestamp(drop.extract_date)
        cur = ep[dates(ep.DEC).isna()].copy()
        cur["decom"] = dates(cur.DECOM)
        assert (cur.LS == "E1").any() and (cur.LS == "D1").any()
        assert (cur.PLACE == "P1").any() and ((cur.PLACE == "K2") & (cur.PLACE_PROVIDER == "PR4")).any()
        assert set(cur.PLACE) & {"A5", "A6"}
        nopr = f["no_parental_responsibility"]
        assert {"RELINQUISHED", "FREEING_ORDER"} <= set(nopr.nopr_reason)
        plans = f["cla_care_plan"]
        assert (plans.lacp_permanence_plan_code == "LTFOST18").any()
        long_e1 = cur[(cur.LS == "E1")]
        assert len(long_e1) >= 2


def test_volumes_roughly_match_the_request(tmp_path):
    drops = generate_region(tmp_path, las=3, children=300, years=3, seed=3)
    for d in drops:
        ep = read_drop(d.path)["episodes"]
        open_children = ep.CHILD[ep.DEC == ""].nunique()
        assert 0.4 * 300 <= open_children <= 1.8 * 300


# --------------------------------------------------------------------------- XML


def test_xml_mode_holds_the_same_rows(tmp_path):
    c = generate_region(tmp_path / "csv", **SMALL)
    x = generate_region(tmp_path / "xml", **SMALL, fmt="xml")
    for dc, dx in zip(c, x):
        f = read_drop(dc.path)
        root = etree.parse(str(dx.path / "903.xml")).getroot()
        assert "episodes" not in read_drop(dx.path) and "header" not in read_drop(dx.path)
        assert len(root.findall("CHILD")) == len(f["header"])
        assert len(root.findall("CHILD/EPISODE")) == len(f["episodes"])
        assert len(root.findall("CHILD/HEADER/AREVIEW")) == len(f["reviews"])
        assert len(root.findall("CHILD/HEADER/AMISSING")) == len(f["missing"])
        assert len(root.findall("CHILD/HEADER/PERMANENCE")) == len(f["prev_perm"])
        assert len(root.findall("CHILD/HEADER/AD_PLACED")) == len(f["placed_adoption"])
        assert len(root.findall("CHILD/DUC")) == (f["uasc"].DUC != "").sum()
        assert len(root.findall("CHILD/DATE_MATCH")) == len(f["ad1"])
        first = root.find("CHILD")
        assert first.findtext("CHILDID") == f["header"].CHILD.iloc[0]
        ep = first.find("EPISODE")
        assert ep.findtext("PL") == f["episodes"].PLACE.iloc[0]
        extras = read_drop(dx.path)
        assert {"cla_care_plan", "permanence", "care_proceedings", "no_parental_responsibility"} <= set(extras)


# --------------------------------------------------------------------------- defects

MESSY = {"bom", "crlf", "trailing_blank_rows", "lowercase_codes", "extra_column"}


def test_defect_names():
    assert MESSY <= set(DEFECTS)
    assert len(DEFECTS) == 19
    assert all(isinstance(v, str) and v for v in DEFECTS.values())


def _file_lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_changes_what_the_manifest_says(region, tmp_path, defect):
    good = region[0].path
    out = write_defective_drop(good, tmp_path / "bad", defect)
    assert out == tmp_path / "bad"
    m = json.loads((out / "manifest.json").read_text())
    rec = m["defect"]
    assert rec["name"] == defect and rec["description"] == DEFECTS[defect]
    good_files = {p.name for p in good.iterdir()} - {"manifest.json"}
    bad_files = {p.name for p in out.iterdir()} - {"manifest.json"}
    changed = sorted(n for n in good_files & bad_files if (good / n).read_bytes() != (out / n).read_bytes())
    changed += sorted(bad_files ^ good_files)

    if defect in MESSY:
        # Messy but valid: once BOM, CRLF, blank lines and case are normalised the data is the same.
        for n in good_files:
            a, b = read_drop_file(good / n), read_drop_file(out / n)
            if defect == "extra_column" and rec["file"] == n:
                assert len(b.columns) == len(a.columns) + 1
                b = b[a.columns]
            if defect == "lowercase_codes":
                b = b.apply(lambda s: s.str.upper())
                a = a.apply(lambda s: s.str.upper())
            pd.testing.assert_frame_equal(a, b)
        return

    assert changed, "the defect changed nothing"
    assert set(changed) <= {rec["file"]} | set(rec.get("other_files", [])), changed
    if rec["rows"]:
        good_lines = _file_lines(good / rec["file"]) if (good / rec["file"]).exists() else []
        bad_lines = _file_lines(out / rec["file"])
        for r in rec["rows"]:
            assert bad_lines[r - 1] not in good_lines or defect == "duplicate_key", (r, bad_lines[r - 1])
        if defect not in ("duplicate_key", "ad1_without_adoption"):
            diff = [i + 1 for i, (a, b) in enumerate(zip(good_lines, bad_lines)) if a != b]
            assert diff == sorted(rec["rows"]), (diff, rec["rows"])
    if defect == "mass_bad_rows":
        n = len(_file_lines(good / rec["file"])) - 2
        assert len(rec["rows"]) > 0.1 * n
    elif defect not in ("empty_file", "unreadable", "missing_column"):
        assert len(rec["rows"]) == 1


def read_drop_file(path: Path) -> pd.DataFrame:
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    lines = [ln for ln in text.split("\n") if ln.strip(",\r ")]
    from io import StringIO

    return pd.read_csv(StringIO("\n".join(lines) + "\n"), dtype=str, keep_default_na=False)


def test_broken_defects_break_the_rule_they_name(region, tmp_path):
    good = region[0].path
    extract = region[0].extract_date

    def episodes(defect):
        out = write_defective_drop(good, tmp_path / defect, defect)
        return out, json.loads((out / "manifest.json").read_text())["defect"]

    out, rec = episodes("missing_column")
    assert "REC" not in pd.read_csv(out / rec["file"], dtype=str, nrows=0).columns
    out, rec = episodes("empty_file")
    assert len(pd.read_csv(out / rec["file"], dtype=str)) == 0
    out, rec = episodes("bad_encoding")
    with pytest.raises(UnicodeDecodeError):
        (out / rec["file"]).read_bytes().decode("utf-8")
    out, rec = episodes("unreadable")
    assert rec["file"] == "episodes.csv" and identify_safe(out / "episodes.csv") is None
    out, rec = episodes("bad_date")
    assert "31/02/2024" in _file_lines(out / rec["file"])[rec["rows"][0] - 1].decode()
    out, rec = episodes("bad_code")
    assert ",Q9," in _file_lines(out / rec["file"])[rec["rows"][0] - 1].decode()
    for defect in ("dec_before_decom", "overlap", "x1_no_continuation", "child_not_in_header", "episode_before_dob", "duplicate_key"):
        out, rec = episodes(defect)
        f = read_drop(out)
        with pytest.raises(AssertionError):
            check_episodes(f["episodes"], f["header"], extract)
    out, rec = episodes("ad1_without_adoption")
    f = read_drop(out)
    adopted = set(f["episodes"].CHILD[f["episodes"].REC.isin(["E11", "E12"])])
    assert set(f["ad1"].CHILD) - adopted


def identify_safe(path: Path):
    try:
        return identify(path)
    except UnicodeDecodeError:
        return None


# --------------------------------------------------------------------------- scale


@pytest.mark.slow
def test_bigger_region_is_fast_and_bounded(tmp_path):
    tracemalloc.start()
    t0 = time.perf_counter()
    drops = generate_region(tmp_path, las=11, children=1000, years=10, seed=1)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(drops) == 11
    assert elapsed < 300
    # One LA at a time: the peak is one LA's rows, not the region's.
    assert peak < 600 * 2**20, peak
    f = read_drop(drops[-1].path)
    check_episodes(f["episodes"], f["header"], drops[-1].extract_date)
