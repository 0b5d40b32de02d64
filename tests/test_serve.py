"""Fast checks of the scheduling pieces: prefect.yaml, notifications, pid-file stop order."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from types import SimpleNamespace

import yaml

from permanence.ops import notify

from permanence.ops import serve
from tests.test_serve_integration import Receiver


def test_prefect_yaml_declares_the_deployments():
    spec = yaml.safe_load((serve.REPO / "prefect.yaml").read_text())
    by_name = {d["name"]: d for d in spec["deployments"]}
    nightly = by_name["nightly"]
    assert nightly["schedules"] == [{"cron": "30 1 * * *", "timezone": "Europe/London", "active": True}]
    assert nightly["concurrency_limit"]["limit"] == 1
    assert nightly["work_pool"]["name"] == serve.POOL
    assert "pull" not in spec  # the default pull step: the checkout the deploy ran from
    assert {"nightly", "backfill", "reference-refresh", "quarterly-report", "dfe-rules"} <= set(by_name)
    assert by_name["quarterly-report"]["schedules"][0]["cron"] == "0 6 10 1,4,7,10 *"
    assert by_name["backfill"]["entrypoint"] == "flows/backfill.py:backfill"
    ready, skipped = serve.deployable({"PERMANENCE_LA_CODE": "894", "PERMANENCE_SOURCE": "/drops/latest"})
    assert {"nightly-load/nightly", "backfill/backfill", "quarterly-report/quarterly-report", "dfe-rules/dfe-rules"} <= set(ready)
    # the DfE pack runs after the nightly load, never at the same time
    assert by_name["dfe-rules"]["schedules"][0]["cron"] == "30 4 * * *" != by_name["nightly"]["schedules"][0]["cron"]
    assert "nightly-load/nightly (set PERMANENCE_SOURCE, PERMANENCE_LA_CODE)" in serve.deployable({})[1]
    assert "reference-refresh/reference-refresh (set PERMANENCE_REFERENCE_SOURCES)" in skipped


def test_prefect_env_keeps_prefect_under_the_data_dir(tmp_path):
    env = serve.prefect_env(tmp_path / "data", port=4321, base={})
    assert env["PREFECT_API_URL"] == "http://127.0.0.1:4321/api"
    assert env["PREFECT_HOME"] == str((tmp_path / "data" / "prefect").resolve())
    assert env["PREFECT_API_DATABASE_CONNECTION_URL"].endswith(f"{tmp_path}/data/prefect/prefect.db")
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    # the CLI's quiet terminal must not silence the flow runs' logs in the Prefect UI
    assert serve.prefect_env(tmp_path, base={"PREFECT_LOGGING_LEVEL": "WARNING"})["PREFECT_LOGGING_LEVEL"] == "INFO"
    team = serve.prefect_env(tmp_path, api_url="https://prefect.example/api", base={})
    assert team["PREFECT_API_URL"] == "https://prefect.example/api"


def _flow_run(parent=None):
    return SimpleNamespace(id="0b7c-run", name="brave-otter", parent_task_run_id=parent)


def test_failure_hook_posts_one_json_message(monkeypatch):
    with Receiver() as a, Receiver() as b:
        monkeypatch.setenv("PERMANENCE_NOTIFY_WEBHOOK", f"{a.url}, {b.url}")
        state = SimpleNamespace(name="Failed", message="drop quarantined: episodes.csv: missing column DECOM (structural)")
        notify.on_failure(SimpleNamespace(name="nightly-load"), _flow_run(), state)
        notify.on_crashed(SimpleNamespace(name="nightly-load"), _flow_run(parent="task-run"), state)  # subflow: quiet
    for r in (a, b):
        assert len(r.received) == 1
        msg = r.received[0]
        assert msg["flow"] == "nightly-load" and msg["state"] == "Failed" and msg["flow_run_id"] == "0b7c-run"
        assert msg["text"].startswith("permanence: flow run brave-otter (nightly-load) failed: drop quarantined")


def test_notification_failure_never_raises(monkeypatch):
    port = serve.free_port()  # nothing listens there
    monkeypatch.setenv("PERMANENCE_NOTIFY_WEBHOOK", f"http://127.0.0.1:{port}/hook")
    notify.on_failure(SimpleNamespace(name="nightly-load"), _flow_run(), SimpleNamespace(name="Crashed", message=None))
    monkeypatch.delenv("PERMANENCE_NOTIFY_WEBHOOK")
    assert notify.webhooks() == []


def _fake(name: str, log):
    """A process whose command line says prefect, that logs when it is stopped."""
    code = ("import signal, sys, time\n"
            f"signal.signal(signal.SIGTERM, lambda *a: (open({str(log)!r}, 'a').write({name!r} + ' ' + str(time.monotonic()) + '\\n'), sys.exit(0)))\n"
            "time.sleep(120)\n")
    return subprocess.Popen([sys.executable, "-c", code, "prefect-fake"], start_new_session=True)


def test_stop_stops_worker_first_then_server(tmp_path):
    log = tmp_path / "stopped.log"
    server, worker = _fake("server", log), _fake("worker", log)
    time.sleep(0.5)
    (tmp_path / "prefect").mkdir()
    (tmp_path / "prefect" / serve.PID_FILE).write_text(json.dumps({"server": server.pid, "worker": worker.pid}))
    info = serve.stop(tmp_path)
    assert info["server"] == server.pid
    assert server.wait(5) == 0 and worker.wait(5) == 0
    assert [line.split()[0] for line in log.read_text().splitlines()] == ["worker", "server"]
    assert not (tmp_path / "prefect" / serve.PID_FILE).exists()
    assert serve.stop(tmp_path) is None  # nothing left to stop


def test_stale_pid_file_is_ignored(tmp_path):
    (tmp_path / "prefect").mkdir()
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    (tmp_path / "prefect" / serve.PID_FILE).write_text(json.dumps({"server": p.pid, "worker": None}))
    assert serve.read_pids(tmp_path) is None
    assert not (tmp_path / "prefect" / serve.PID_FILE).exists()


def test_a_temporary_server_skips_event_history_and_automations_a_lasting_one_keeps(monkeypatch, tmp_path):
    monkeypatch.setattr(serve, "_TEMPORARY_SET", set())
    # a run with no server of its own starts Prefect's temporary one: these are off unless the user says
    env: dict[str, str] = {"PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "true"}
    added = serve.temporary_server_defaults(env)
    assert added == {k: "false" for k in serve.TEMPORARY_SERVER if k != "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED"}
    # each one is a setting of the installed Prefect: a misspelt name would be ignored without a word
    from prefect.settings import Settings

    services = Settings().server.services
    for name in serve.TEMPORARY_SERVER:
        service = name.removeprefix("PREFECT_SERVER_SERVICES_").removesuffix("_ENABLED").lower()
        assert getattr(services, service).enabled in (True, False), name
    assert env["PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED"] == "true"  # the user's own value stands
    # a run against a lasting server changes nothing
    lasting = {"PREFECT_API_URL": "http://127.0.0.1:4200/api"}
    assert serve.temporary_server_defaults(lasting) == {} and set(lasting) == {"PREFECT_API_URL"}
    # what a run set in this process never reaches a server `permanence serve` starts from it
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    for name in serve.TEMPORARY_SERVER:  # set then removed, so the test's end removes what the call sets
        monkeypatch.setenv(name, "unset")
        monkeypatch.delenv(name)
    assert set(serve.temporary_server_defaults()) == set(serve.TEMPORARY_SERVER)
    server_env = serve.prefect_env(tmp_path / "data", port=4321)
    assert not set(serve.TEMPORARY_SERVER) & set(server_env)


def test_bench_counts_the_cpu_of_a_child_still_running():
    """`make bench`'s process CPU includes Prefect's temporary server, which outlives the flow."""
    from bench.run_once import live_children_cpu

    burn = ("import sys, time\n"
            "while time.process_time() < 0.4: pass\n"
            "print('ready', flush=True)\n"
            "time.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", burn], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        assert live_children_cpu() >= 0.35
    finally:
        child.kill()
        child.wait()
