"""Issue 13's attacks, each refused (docs/security.md): the orchestrator's API, the files' modes,
weak or changed keys, and hostile inputs (LA codes, credentials in URLs, file names in reports)."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from unittest import mock

import fsspec
import pandas as pd
import pytest

from permanence.ops import security

from permanence.ops import serve
from permanence.config import Settings
from permanence.ingest.pseudonymise import resolve_key
from permanence.ops.security import KeyMismatch, UnsafeSetup, WeakKeyError

STRONG = "dee3cc1e9b82bd2d4085ba80cfd730f9b59323df11f7ec9c51f9f079c2e5bf98"


# ------------------------------------------------------------------------------ orchestrator


def _prefect_app(env: dict[str, str]):
    """Prefect's API app, built in-process with the settings `serve` hands the server."""
    import prefect.settings as ps
    from prefect.server.api.server import create_app

    names = ("PREFECT_SERVER_API_AUTH_STRING", "PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED",
             "PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS")
    updates = {getattr(ps, n): env[n] for n in names if n in env}
    with ps.temporary_settings(updates):
        return create_app(ephemeral=True, final=True)


def test_serve_locks_the_api_anonymous_calls_are_refused(tmp_path):
    from starlette.testclient import TestClient

    env = serve.prefect_env(tmp_path / "data", port=4321, base={})
    auth_file = tmp_path / "data" / "prefect" / serve.AUTH_FILE
    assert stat.S_IMODE(auth_file.stat().st_mode) == 0o600
    assert env["PREFECT_API_AUTH_STRING"] == env["PREFECT_SERVER_API_AUTH_STRING"] == auth_file.read_text().strip()
    assert serve.prefect_env(tmp_path / "data", port=4321, base={})["PREFECT_API_AUTH_STRING"] == env["PREFECT_API_AUTH_STRING"]
    assert env["PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED"] == "true"

    client = TestClient(_prefect_app(env))
    assert client.get("/api/admin/version").status_code == 401  # anonymous
    token = base64.b64encode(env["PREFECT_API_AUTH_STRING"].encode()).decode()
    assert client.get("/api/admin/version", headers={"Authorization": f"Basic {token}"}).status_code == 200
    evil = client.options("/api/flows/filter", headers={"Origin": "http://evil.example",
                                                         "Access-Control-Request-Method": "POST"})
    assert evil.headers.get("access-control-allow-origin") != "http://evil.example"
    own = client.options("/api/flows/filter", headers={"Origin": "http://127.0.0.1:4321",
                                                        "Access-Control-Request-Method": "POST"})
    assert own.headers.get("access-control-allow-origin") == "http://127.0.0.1:4321"


def test_a_team_server_keeps_its_own_auth(tmp_path):
    env = serve.prefect_env(tmp_path, api_url="https://prefect.example/api", base={})
    assert "PREFECT_SERVER_API_AUTH_STRING" not in env and not (tmp_path / "prefect" / serve.AUTH_FILE).exists()


def test_worker_refuses_root_unless_told(tmp_path):
    with mock.patch.object(os, "geteuid", return_value=0):
        with pytest.raises(serve.ServeError, match="root"):
            serve.refuse_root({})
        serve.refuse_root({serve.ALLOW_ROOT: "1"})
    with mock.patch.object(os, "geteuid", return_value=1000):
        serve.refuse_root({})


def test_deployments_may_not_carry_their_own_steps(tmp_path):
    serve.check_steps()  # the project's prefect.yaml
    bad = tmp_path / "prefect.yaml"
    text = (serve.REPO / "prefect.yaml").read_text()
    bad.write_text(text + "\npull:\n  - prefect.deployments.steps.run_shell_script:\n      script: cat key\n")
    with pytest.raises(serve.ServeError, match="'pull' steps are not allowed"):
        serve.check_steps(bad)


def test_deployed_source_parameter_has_no_credentials(tmp_path):
    seen = {}
    with mock.patch.object(serve, "_run", lambda cmd, env, what: seen.update(env)):
        serve.deploy({"PERMANENCE_SOURCE": "sftp://cms:hunter2@cms.example/drops"}, ["nightly-load/nightly"])
    assert seen["PERMANENCE_SOURCE"] == "sftp://cms.example/drops"


# ------------------------------------------------------------------------------------- files


def test_data_dir_open_to_others_is_refused_with_one_line(tmp_path):
    data = tmp_path / "data"
    security.ensure_private_dir(data)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    data.chmod(0o755)
    with pytest.raises(UnsafeSetup, match=r"open to other users \(mode 0755\); run `chmod 700"):
        security.ensure_private_dir(data)
    security.ensure_private_dir(data, fix=True)  # the demo's own folder
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_data_dir_with_a_bi_group_lets_the_group_in_and_no_one_else(tmp_path):
    import grp

    group = grp.getgrgid(os.getgid()).gr_name
    data = security.ensure_private_dir(tmp_path / "data", group)
    assert stat.S_IMODE(data.stat().st_mode) == 0o750
    data.chmod(0o700)
    security.ensure_private_dir(data, group)
    assert stat.S_IMODE(data.stat().st_mode) == 0o750


def test_published_copy_shared_with_the_bi_group_only(tmp_path):
    import grp

    pub = tmp_path / "published"
    (pub / "parquet").mkdir(parents=True)
    (pub / "parquet" / "m.parquet").write_text("x")
    (pub / "parquet" / "m.parquet").chmod(0o644)
    group = grp.getgrgid(os.getgid()).gr_name
    security.share_with_group(pub, group)
    assert stat.S_IMODE((pub / "parquet" / "m.parquet").stat().st_mode) == 0o640
    assert stat.S_IMODE((pub / "parquet").stat().st_mode) & 0o057 == 0o050
    security.share_with_group(pub, None)
    assert stat.S_IMODE((pub / "parquet" / "m.parquet").stat().st_mode) == 0o600
    with pytest.raises(UnsafeSetup, match="no group"):
        security.share_with_group(pub, "no-such-group-xyz")


def test_restricted_tier_is_never_shared_with_the_bi_group(tmp_path):
    """Issue 13 point 4: with PERMANENCE_BI_GROUP set, the BI copy is the group's to read; the
    restricted copy (child-level marts) and its folder stay the service account's alone."""
    import grp

    import duckdb

    from permanence.config import Settings
    from permanence.pipeline import publish_copies

    group = grp.getgrgid(os.getgid()).gr_name
    settings = Settings(data_dir=tmp_path / "data", bi_group=group)
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.periods_of_care as select '894' as la_code, 'p1' as child_id")
        con.execute("create table marts.exits_by_year as select '894' as la_code, 3::bigint as children")
    settings.restricted_dir.mkdir(mode=0o755)  # made open by hand: tightened
    pub, restricted = publish_copies(settings)
    assert set(pub.tables) == {"marts.exits_by_year"} and "marts.periods_of_care" in restricted.tables
    assert stat.S_IMODE(pub.path.stat().st_mode) == 0o440
    assert stat.S_IMODE(settings.restricted_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(restricted.path.stat().st_mode) == 0o400
    with duckdb.connect(str(pub.path), read_only=True) as con:
        assert con.execute("select children, suppressed_reason from marts.exits_by_year").fetchall() == [
            (None, "c (1 to 5): children")]


def test_archive_is_private(write_drop, tmp_path):
    from permanence.ingest.pull import pull

    drop = write_drop({"header.csv": "CHILD\n1\n"})
    old = os.umask(0o022)
    try:
        archived = pull(str(drop), "894", tmp_path / "archive")
    finally:
        os.umask(old)
    assert stat.S_IMODE(archived.folder.stat().st_mode) == 0o500
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o400 for p in archived.folder.iterdir())


def _world_readable(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in [root, *root.rglob("*")]
            if not p.is_symlink() and p.stat().st_mode & 0o007]


@pytest.mark.slow
def test_a_run_under_umask_022_leaves_nothing_open_and_a_changed_key_is_refused(tmp_path):
    from permanence.synth import generate_region

    [drop] = generate_region(tmp_path / "in", las=1, children=30, years=2, seed=3)
    data = tmp_path / "data"

    def run(key: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PERMANENCE_HMAC_KEY": key, "PERMANENCE_WORKERS": "1",
               "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}  # a loaded CI machine
        return subprocess.run([sys.executable, "-m", "permanence.cli", "run", "--source", str(drop.path),
                               "--la", drop.la_code, "--data-dir", str(data)],
                              capture_output=True, text=True, env=env, umask=0o022)

    first = run(STRONG)
    assert first.returncode == 0, first.stderr[-2000:]
    assert (data / "published").exists() and (data / "archive").exists()
    assert _world_readable(data) == []
    import duckdb

    with duckdb.connect(str(data / "warehouse" / "permanence.duckdb"), read_only=True) as con:
        [(fp,)] = con.execute("select distinct key_fingerprint from audit.loads").fetchall()
    assert fp == security.key_fingerprint(STRONG.encode()) and STRONG not in fp

    second = run(secrets.token_hex(32))
    assert second.returncode == 4, second.stderr[-2000:]  # 4: the setup is wrong (here, the key)
    error, hint = [line for line in second.stderr.splitlines() if line.strip()][-2:]
    assert error.startswith("error: pseudonymisation key (fingerprint") and "earlier loads" in error
    assert hint.startswith("hint: ") and "full log: " in hint


# -------------------------------------------------------------------------------------- keys


@pytest.mark.parametrize("weak", [
    "a long random secret kept by the LA",  # the README's old placeholder
    "cabbage",  # issue 13: recovered in 7 guesses
    "cabbage" * 10,
    "0" * 64,
    "0123456789abcdef" * 4,
    pytest.param(secrets.token_hex(16), id="random-16-bytes"),  # too few; a stable id for pytest-xdist
    "correct horse battery staple and then some more words here",
])
def test_weak_keys_are_refused(weak):
    with pytest.raises(WeakKeyError, match="too weak|placeholder"):
        resolve_key(weak, None)


@pytest.mark.parametrize("strong", [STRONG, secrets.token_hex(32), secrets.token_urlsafe(32),
                                    base64.b64encode(secrets.token_bytes(32)).decode()],
                         ids=["fixed", "hex", "urlsafe", "base64"])  # stable ids: pytest-xdist collects twice
def test_generated_keys_are_accepted(strong):
    assert resolve_key(strong, None)[0] == strong.encode()


def test_key_file_readable_by_others_is_refused(tmp_path):
    key_file = tmp_path / "hmac.key"
    key_file.write_text(STRONG + "\n")
    key_file.chmod(0o644)
    with pytest.raises(WeakKeyError, match=r"open to other users \(mode 0644\)"):
        resolve_key(None, None, key_file)
    key_file.chmod(0o600)
    assert resolve_key(None, None, key_file)[0] == STRONG.encode()


def test_fingerprint_names_the_key_without_revealing_it():
    a, b = security.key_fingerprint(STRONG.encode()), security.key_fingerprint(secrets.token_bytes(32))
    assert a != b and len(a) == 16 and a not in STRONG
    assert a == security.key_fingerprint(STRONG.encode())


def test_a_changed_key_is_refused_before_anything_is_loaded(tmp_path):
    from permanence import warehouse
    from tests.pipeline_helpers import ingest

    settings = Settings(data_dir=tmp_path / "data")
    with warehouse.connect(settings) as con:
        warehouse.create_schema(con)
        warehouse.record_rows(con, "loads", [{"load_id": "earlier", "la_code": "894", "status": "published",
                                              "key_fingerprint": security.key_fingerprint(b"the-old-key")}])
    with pytest.raises(KeyMismatch, match="not the key of this warehouse's earlier loads"):
        ingest(settings, [("/nowhere", "894")], key=b"another-key")
    with warehouse.connect(settings) as con:
        assert con.execute("select count(*) from audit.load_steps").fetchone()[0] == 0


def test_serve_makes_a_key_only_for_a_synthetic_drop(tmp_path):
    real = tmp_path / "894_2025-03-31"
    real.mkdir()
    (real / "manifest.json").write_text('{"extract_date": "2025-03-31"}')
    assert not security.is_synthetic_drop(real)
    (real / "manifest.json").write_text('{"generator": "permanence.synth"}')
    assert security.is_synthetic_drop(real)


# ------------------------------------------------------------------------------------ inputs


@pytest.mark.parametrize("la", ["../../../x", "894/..", "89", "8944", "abc", "894\n"])
def test_la_code_outside_the_pattern_is_refused_before_anything_is_written(la, write_drop, tmp_path):
    from permanence.ingest.pull import pull

    drop = write_drop({"header.csv": "CHILD\n1\n"})
    with pytest.raises(UnsafeSetup, match="LA code"):
        pull(str(drop), la, tmp_path / "data" / "archive")
    assert not (tmp_path / "data").exists() and not (tmp_path / "x").exists()


def test_cli_refuses_a_path_as_la_code_with_one_line(tmp_path):
    from typer.testing import CliRunner

    from permanence.cli import app

    result = CliRunner().invoke(app, ["run", "--source", str(tmp_path), "--la", "../../../x",
                                      "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 4 and "LA code '../../../x' refused" in result.output
    assert not (tmp_path / "data").exists()


def test_credentials_stripped_from_urls():
    assert security.strip_credentials("sftp://cms:hunter2@cms.example:22/drops?x=1") == "sftp://cms.example:22/drops?x=1"
    assert security.strip_credentials("s3://bucket/drops") == "s3://bucket/drops"
    assert security.strip_credentials("/srv/drops/a@b") == "/srv/drops/a@b"


def test_credentials_never_reach_audit_or_report(tmp_path):
    """A drop read through a URL with a password: pulled with it, recorded and reported without it."""
    import duckdb

    from permanence.synth import generate_region, write_defective_drop
    from tests.pipeline_helpers import ingest

    [drop] = generate_region(tmp_path / "in", las=1, children=10, years=1, seed=5)
    bad = write_defective_drop(drop.path, tmp_path / "bad_2025-03-31", "missing_column")
    url = "memory://cms:hunter2@drops/bad_2025-03-31"
    fs, root = fsspec.core.url_to_fs(url)
    for f in bad.iterdir():
        fs.pipe(f"{root}/{f.name}", f.read_bytes())
    try:
        safe = security.register_source(url)
        settings = Settings(data_dir=tmp_path / "data")
        [run] = ingest(settings, [(safe, drop.la_code)], key=STRONG.encode())
    finally:
        fs.rm(root, recursive=True)
        security._WITH_CREDENTIALS.clear()
    assert run.status == "quarantined" and run.drop is not None  # pulled through the full URL
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        sources = [s for (s,) in con.execute("select source from audit.loads").fetchall()]
    assert sources == ["memory://drops/bad_2025-03-31"]
    report = "".join(p.read_text() for p in run.report_dir.iterdir())
    assert "hunter2" not in report and "memory://drops/bad_2025-03-31" in report


def test_file_names_escaped_in_html_reports(tmp_path):
    from permanence.audit.trail import AuditTrail, to_html
    from permanence.audit.validation_report import _md

    hostile = '<img src=x onerror=alert(1)>.csv'
    history = pd.DataFrame([{"load_id": "L1", "la_code": "894", "extract_date": "2025-03-31",
                             "drop_sha256": "ab", "status": "quarantined", "message": hostile}])
    files = pd.DataFrame([{"file_name": hostile, "rows_in": 1}])
    empty = pd.DataFrame()
    page = to_html(AuditTrail("L1", history, files, empty, pd.DataFrame([{"file_name": hostile}]),
                              pd.DataFrame(columns=["success"]), empty, empty))
    assert "<img" not in page and "&lt;img" in page
    assert "<img" not in _md(hostile) and "|" not in _md("a|b")
