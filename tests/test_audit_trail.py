"""`permanence audit --load` reconstructs a run: files and sha256, rows, rules fired, expectations, marts."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from permanence.audit.trail import audit_trail
from permanence.cli import app
from permanence.config import Settings
from permanence.synth import generate_region, write_defective_drop
from tests.pipeline_helpers import run_drops
from validations.marts.expectations import RECONCILIATIONS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit")
    [drop] = generate_region(tmp / "region", las=1, children=50, years=2, seed=4)
    bad = write_defective_drop(drop.path, tmp / "bad", "bad_code")
    settings = Settings(data_dir=tmp / "data")
    [run] = run_drops(settings, [(str(bad), drop.la_code)])
    assert run.status == "published", run.message
    return settings, bad, run


def test_trail_reconstructs_the_load(built):
    settings, bad, run = built
    t = audit_trail(settings.warehouse_path, run.load_id)
    assert t.status == "published"
    archived = {f.name: f.sha256 for f in run.drop.files}
    assert dict(zip(t.files["file_name"], t.files["sha256"])) == archived
    assert int(t.files["rows_in"].sum()) == run.rows_in
    assert int(t.raw_rows["rows_in_raw"].sum()) == run.rows_loaded
    defect = json.loads((bad / "manifest.json").read_text())["defect"]
    assert defect["file"] in set(t.rules["file_name"]) and (t.rules["severity"] == "error").any()
    # one row per cross-mart reconciliation (each mart's own invariants are the dbt tests below)
    assert len(t.expectations) == len(RECONCILIATIONS) and t.expectations["success"].all()
    assert "marts.spg_cohort_children" in set(t.published["table_name"])
    assert {"pull", "validate", "load", "transform", "checks", "publish"} <= set(t.steps["step"])
    # the archive, the code and the build's dbt data tests that stand behind the figures
    assert t.history["archive_path"].iloc[-1] == str(run.drop.folder) and run.drop.folder.is_dir()
    assert t.history["code_version"].iloc[-1].startswith("permanence ")
    assert "pass" in set(t.dbt_tests["status"]) and int(t.dbt_tests["tests"].sum()) > 50


def test_cli_prints_and_writes_html(built, tmp_path):
    settings, _bad, run = built
    out = tmp_path / "audit.html"
    res = CliRunner().invoke(app, ["audit", "--load", run.load_id, "--data-dir", str(settings.data_dir),
                                   "--html", str(out)], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "expectations:" in res.output and "marts published" in res.output
    assert "steps" in res.output and "transform" in res.output and "dbt data tests:" in res.output
    assert f"archived drop: {run.drop.folder}" in res.output and "code: permanence " in res.output
    sha = run.drop.files[0].sha256
    assert sha[:16] in res.output and sha not in res.output  # short in the terminal, unwrapped
    page = out.read_text()
    for f in run.drop.files:
        assert f.sha256 in page
    assert "spg_cohort_summary" in page and "Validation rules that fired" in page
    # the default HTML sits beside the load's validation report and links it and the Data Docs
    # relatively, so the reports folder can be copied to an auditor as it is
    res = CliRunner().invoke(app, ["audit", "--load", run.load_id, "--data-dir", str(settings.data_dir)])
    default = (settings.reports_dir / run.load_id / "audit.html").read_text()
    assert 'href="validation.md"' in default and 'href="../data-docs/' in default
    assert 'href="/' not in default
    res = CliRunner().invoke(app, ["audit", "--load", "nope", "--data-dir", str(settings.data_dir)])
    assert res.exit_code == 1 and "no load nope" in res.output
