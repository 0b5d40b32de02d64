"""Our DfE-coded rules flag exactly the rows the DfE's own validator flags.

The DfE validator (csc-validator-be-903) runs in .venv-dfe, which `make setup` installs (CI runs
`make test`); without that env these tests skip and say why.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from permanence.contract import collection_year, table
from permanence.contract.frames import ROW, ExtractFrame, StructuralError
from permanence.ingest.read import read_drop
from permanence.synth import DEFECTS, generate_region, write_defective_drop
from validations.extract import validate_drop
from validations.dfe.validator import available, dfe_findings, python
from validations.extract.rules import RULES

needs_dfe = pytest.mark.skipif(
    not available(), reason=f"DfE 903 validator env not installed at {python()}: run `make .venv-dfe`"
)

SHARED = sorted({r.dfe_code for r in RULES.values() if r.dfe_code})


def test_every_dfe_coded_rule_carries_its_own_code():
    # A rule with a DfE code is that DfE rule: the code is the rule's own, never borrowed.
    assert SHARED and all(code == r.dfe_code for code, r in RULES.items() if r.dfe_code)
    assert all(code.startswith("PERM-") for code, r in RULES.items() if not r.dfe_code)


def compare(frames: list[ExtractFrame], extract_date: dt.date) -> dict[str, tuple[set, set]]:
    """Per shared code the DfE validator could run: (rows we flag, rows it flags)."""
    ours = validate_drop(frames, extract_date)
    run = dfe_findings(frames, collection_year(extract_date), SHARED)
    out = {}
    for code in SHARED:
        if code in run.failed:
            continue
        mine = {(i.file_name, i.row_number) for i in ours.issues if i.rule_code == code}
        theirs = {(f.file_name, f.row) for f in run.findings if f.code == code}
        out[code] = (mine, theirs)
    return out


def assert_agree(result: dict[str, tuple[set, set]], where: str) -> int:
    for code, (mine, theirs) in result.items():
        assert mine == theirs, f"{where}: rule {code}: only ours {sorted(mine - theirs)}, only DfE {sorted(theirs - mine)}"
    return sum(len(t) for _, t in result.values())


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> list[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("dfe")
    [good] = generate_region(root / "csv", las=1, children=250, years=5, seed=11)
    [xml] = generate_region(root / "xml", las=1, children=150, years=3, seed=12, fmt="xml")
    drops = [("clean", good.path), ("xml", xml.path)]
    for name in DEFECTS:
        drops.append((name, write_defective_drop(good.path, root / "bad" / name, name)))
    return drops


@needs_dfe
def test_synthetic_drops_and_every_defect_agree_row_for_row(synthetic):
    compared, flagged = 0, 0
    for name, folder in synthetic:
        try:
            frames, _ = read_drop(folder)
        except StructuralError:
            continue  # unreadable drops never reach a rule
        # A quarantined drop (a column missing, no rows) is compared too: its findings are reported.
        extract = dt.date.fromisoformat(json.loads((folder / "manifest.json").read_text())["extract_date"])
        flagged += assert_agree(compare(frames, extract), name)
        compared += 1
    assert compared >= 14 and flagged > 0


# ---- hand-made messy episodes: the edges where a near miss of the DfE's definition shows ----------


def _frames(episodes: list[dict], header: list[dict], ad1: list[dict] = ()) -> list[ExtractFrame]:
    def ef(name, rows):
        t = table(name)
        frame = pd.DataFrame([{c: r.get(c) for c in t.column_names} for r in rows], columns=t.column_names)
        frame[ROW] = np.arange(2, len(rows) + 2, dtype="int64")
        return ExtractFrame(t, f"{name}.csv", frame)

    out = [ef("episodes", episodes), ef("header", header)]
    return out + ([ef("ad1", list(ad1))] if ad1 else [])


def ep(child, decom, rne="P", dec=None, rec=None, ls="C2", place="U4"):
    return {"CHILD": child, "DECOM": decom, "RNE": rne, "LS": ls, "CIN": "N1", "PLACE": place,
            "PLACE_PROVIDER": "PR1", "DEC": dec, "REC": rec}


@needs_dfe
def test_messy_hand_made_episodes_agree_row_for_row():
    episodes = [
        # A: chain, then an exit and a same-day restart (431), then a non-S after an exit (432, 433)
        ep("A", "01/04/2020", "S", "01/05/2020", "X1"), ep("A", "01/05/2020", "P", "01/06/2020", "E4A"),
        ep("A", "01/06/2020", "S", "01/07/2020", "E4B"), ep("A", "05/07/2020", "T", "01/08/2020", "E13"),
        # B: open episode followed by another (142), overlap (501), a long overlap past its neighbour
        ep("B", "01/04/2021", "S"), ep("B", "01/05/2021", "P", "01/12/2021", "X1"),
        ep("B", "01/06/2021", "P", "01/07/2021", "X1"), ep("B", "01/08/2021", "L", "01/09/2021", "E8"),
        # C: same start twice (a tie the DfE breaks by file order), a blank REC, unreadable dates
        ep("C", "01/04/2022", "S", "01/05/2022", "X1"), ep("C", "01/04/2022", "S", "01/06/2022"),
        ep("C", "01/06/2022", "P", "31/02/2023", "X1"), ep("C", "1/7/2022", "B", "01/08/2022", "E4A"),
        ep("C", "2022-09-01", "U"),
        # D: first episode before birth; a DEC before DECOM; files out of date order
        ep("D", "10/10/2019", "P", "01/01/2020", "X1"), ep("D", "01/01/2020", "L", "30/12/2019", "E11"),
        ep("D", "01/12/2018", "S", "10/10/2019", "X1"),
        # E: missing RNE and child
        ep("E", "01/04/2023", None, "01/05/2023", "E4A"), ep(None, "01/04/2023", "S"),
        ep("E", "01/05/2023", None),
        # F: a start tie the DfE's 433 breaks by DEC, not file order
        ep("F", "01/04/2021", "S", "01/06/2021", "X1"), ep("F", "01/04/2021", "S", "01/05/2021", "X1"),
        ep("F", "01/05/2021", "P"),
        # G: adopted in the drop's own year (2020-21), older than any pack the validator ships: the
        # year's dates are the drop's, not the pack's, so 602 does not fire
        ep("G", "01/04/2019", "S", "01/05/2020", "E11"),
    ]
    header = [{"CHILD": c, "SEX": "1", "DOB": dob, "ETHNIC": "WBRI"}
              for c, dob in [("A", "01/01/2010"), ("B", "01/01/2010"), ("C", "01/01/2015"),
                             ("D", "01/01/2019"), ("E", "01/01/2012"),
                             ("F", "01/04/2021"), ("G", "01/01/2018")]]  # F born the day it started
    ad1 = [{"CHILD": "D", "DOB": "01/01/2019", "DATE_INT": "01/06/2019"},
           {"CHILD": "A", "DOB": "01/01/2010", "DATE_MATCH": "01/06/2019"},
           {"CHILD": "B", "DOB": "01/01/2010"},
           {"CHILD": "G", "DOB": "01/01/2018", "DATE_INT": "01/06/2019", "DATE_MATCH": "01/09/2019"}]
    result = compare(_frames(episodes, header, ad1), dt.date(2020, 6, 1))
    assert set(result) >= {"142", "356", "431", "432", "433", "501", "602"}
    assert assert_agree(result, "hand-made") >= 10
    assert ("ad1.csv", 5) not in result["602"][1]  # G


@pytest.fixture(scope="module")
def published_load(tmp_path_factory):
    from permanence.config import Settings
    from tests.pipeline_helpers import run_drops

    root = tmp_path_factory.mktemp("readiness")
    [drop] = generate_region(root / "in", las=1, children=25, years=2, seed=31)
    settings = Settings(data_dir=root / "data")
    [run] = run_drops(settings, [(str(drop.path), drop.la_code)])
    assert run.status == "published", run.message
    from flows import nightly

    nightly.queue_dfe_rules.fn(settings, [run])  # the nightly flow's step after the publish
    return settings, run, drop


def _audit(settings, sql, params=()):
    import duckdb

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_the_nightly_run_queues_its_published_load_for_the_dfe_pack(published_load):
    settings, run, drop = published_load
    # queued by the run, not checked in it: the pack runs after, in the dfe-rules flow
    assert _audit(settings, "select la_code, drop_folder, collection_year from audit.dfe_queue where load_id = ?",
                  [run.load_id]) == [(run.la_code, str(run.drop.folder), collection_year(drop.extract_date))]
    assert _audit(settings, "select count(*) from audit.load_steps where load_id = ? and step = 'dfe_rules'",
                  [run.load_id]) == [(0,)]
    assert _audit(settings, "select status from audit.load_steps where load_id = ? and step = 'dfe_queue'",
                  [run.load_id]) == [("ok",)]


@needs_dfe
def test_nightly_dfe_rule_pack_is_recorded_apart_from_ours_and_in_the_report(published_load):
    from flows.dfe_rules import check_queued

    settings, run, drop = published_load
    ours_before = _audit(settings, "select count(*) from audit.validation_results where source = 'ours'")
    [done] = check_queued(settings)
    assert done.load_id == run.load_id
    assert check_queued(settings) == []  # checked once: no longer queued
    rows = _audit(settings, "select rule_code, file_name, row_number, severity from audit.validation_results "
                            "where load_id = ? and source = 'dfe' order by 1, 2, 3", [run.load_id])
    # the same rows the DfE validator flags on the archived drop, its whole pack for the year
    expected = dfe_findings(read_drop(run.drop.folder)[0], collection_year(drop.extract_date))
    assert rows and [(c, f, n) for c, f, n, _ in rows] == sorted((f.code, f.file_name, f.row) for f in expected.findings)
    assert {s for *_, s in rows} == {"dfe"}
    assert _audit(settings, "select count(*) from audit.validation_results where source = 'ours'") == ours_before
    assert _audit(settings, "select status from audit.load_steps where load_id = ? and step = 'dfe_rules'",
                  [run.load_id]) == [("ok",)]
    report = (run.report_dir / "validation.md").read_text()
    assert "## DfE return readiness (2024-25" in report and f"| {rows[0][0]} |" in report
    ids = {line.split(",")[0] for p in drop.path.glob("*.csv") for line in p.read_text().splitlines()[1:] if line}
    assert not [i for i in ids if i and f" {i} " in report]  # lines to fix are file and line, never an id
    # and beside the mart checks in the Data Docs, linked from their index
    docs = settings.reports_dir / "data-docs" / run.load_id
    page = docs / f"dfe-readiness-{run.la_code}.html"
    assert page.name in (docs / "index.html").read_text() and f"<td>{rows[0][0]}</td>" in page.read_text()
    assert not [i for i in ids if i and f">{i}<" in page.read_text()]


@pytest.mark.slow
def test_without_the_dfe_validator_the_step_says_so_and_the_load_stays_published(published_load):
    """Through the CLI and the real flow (Prefect's temporary server): one line, exit 0, nothing undone."""
    import os
    import subprocess
    import sys

    settings, run, _ = published_load
    env = {**os.environ, "PERMANENCE_DFE_PYTHON": str(settings.data_dir / "no-such-python")}
    out = subprocess.run([sys.executable, "-m", "permanence.cli", "dfe-rules", "--load", run.load_id,
                          "--data-dir", str(settings.data_dir)], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    [line] = [x for x in (out.stdout + out.stderr).splitlines() if "DfE rule pack" in x]  # one line, however long
    assert line.startswith("- DfE rule pack (return readiness) skipped: the DfE validator is not installed"), line
    assert "Traceback" not in out.stdout + out.stderr
    assert _audit(settings, "select status from audit.loads where load_id = ? order by finished_at desc limit 1",
                  [run.load_id]) == [("published",)]
    assert ("skipped",) in _audit(settings, "select status from audit.load_steps where load_id = ? and step = 'dfe_rules'",
                                  [run.load_id])
