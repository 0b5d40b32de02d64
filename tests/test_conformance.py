"""bench/conformance.py on a messy drop: every figure the marts publish agrees with the independent
computation from the raw rows, and a DEC after the extract date keeps the child in care on D."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from bench import conformance
from permanence.synth import generate_region
from validations.dfe.validator import available

pytestmark = pytest.mark.slow


def _mess(episodes_csv, extract_date: dt.date) -> str:
    """Two messes real extracts have, on two open episodes: a DEC one day after the extract date
    (with its REC), and a REC sent with no DEC. Returns the first child's id."""
    with episodes_csv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    open_rows = [r for r in rows if not r["DEC"]]
    after, rec_only = open_rows[0], open_rows[1]
    after["DEC"], after["REC"] = (extract_date + dt.timedelta(days=1)).strftime("%d/%m/%Y"), "E4A"
    rec_only["REC"] = "E13"
    with episodes_csv.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return after["CHILD"]


def test_messy_drop_every_published_figure_agrees(tmp_path):
    [drop] = generate_region(tmp_path / "in", las=1, children=120, years=4, seed=17)
    _mess(drop.path / "SSDA903_Episodes.csv", drop.extract_date)
    table, unexplained, _ = conformance.measure_agreement(drop.path, drop.la_code, drop.extract_date, None,
                                                          tmp_path / "work")
    assert set(table["mart"]) == set(conformance.reconcile.SPECS)
    assert table["figures"].sum() > 500
    published = table["figures"] - table["withheld with a reason"]
    assert (table["agree"] == published).all(), table.to_string()
    assert unexplained.empty


@pytest.mark.skipif(not available(), reason="DfE 903 validator env not installed: run `make .venv-dfe`")
def test_the_rules_table_and_markdown(tmp_path, capsys):
    [drop] = generate_region(tmp_path / "in", las=1, children=60, years=3, seed=18)
    out = tmp_path / "conformance.md"
    conformance.main([str(drop.path), "--extract-date", drop.extract_date.isoformat(), "--skip-measures",
                      "--markdown", str(out)])
    text = out.read_text()
    assert "| 501 |" in text and "Overall:" in text and "(100.0%)" in text
    assert text.strip() in capsys.readouterr().out
