"""The whole scheduling stack for real: a Prefect server on a free loopback port, the `permanence`
process pool, the deployments from prefect.yaml, a worker; the nightly deployment run on a synthetic
drop to COMPLETED, then on a quarantined drop to FAILED with a webhook notification. Everything it
started is stopped by process id at the end. Slow (~1-2 min): Prefect's server takes a while."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import duckdb
import pytest

pytestmark = pytest.mark.slow

FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class Receiver:
    """A webhook receiver on loopback that keeps every JSON body POSTed to it."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _wait_final(client, flow_run_id, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.read_flow_run(flow_run_id)
        if run.state and run.state.type.value in FINAL:
            return run
        time.sleep(2)
    raise AssertionError(f"flow run {flow_run_id} not finished after {timeout}s (last state {run.state and run.state.name})")


def _logs(client, flow_run_id) -> str:
    """Log lines of a flow run and of its subflow runs (the nightly flow runs `region-load`)."""
    from prefect.client.schemas.filters import (FlowRunFilter, FlowRunFilterParentFlowRunId, LogFilter,
                                                LogFilterFlowRunId)

    children = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id])))
    ids = [flow_run_id, *(c.id for c in children)]
    logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids)))
    return "\n".join(entry.message for entry in logs)


def _settled_logs(client, flow_run_id, quiet_seconds: float = 3.0, timeout: float = 60.0) -> str:
    """The run's logs once they stop arriving. The flow-run process ships its logs in batches (every
    2 s) and the last ones at exit, after the run's final state is already set: read too soon and
    the lines that say what was published are not there yet."""
    deadline = time.monotonic() + timeout
    logs, since = _logs(client, flow_run_id), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet_seconds:
        time.sleep(0.5)
        now = _logs(client, flow_run_id)
        if now != logs:
            logs, since = now, time.monotonic()
    return logs


def test_serve_deploys_and_runs_nightly(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    from permanence.ops import serve
    from permanence.synth import generate_region, write_defective_drop

    [drop] = generate_region(tmp_path / "in", las=1, children=60, years=2, seed=21)
    bad = write_defective_drop(drop.path, tmp_path / "bad" / drop.path.name, "missing_column")
    data_dir = tmp_path / "data"
    port = serve.free_port()

    with Receiver() as hook:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PREFECT_", "PERMANENCE_")) or k == "PERMANENCE_DBT_PROJECT_DIR"}
        env.update(
            PERMANENCE_SOURCE=str(drop.path),
            PERMANENCE_LA_CODE=drop.la_code,
            PERMANENCE_HMAC_KEY="dee3cc1e9b82bd2d4085ba80cfd730f9b59323df11f7ec9c51f9f079c2e5bf98",
            PERMANENCE_NOTIFY_WEBHOOK=hook.url,
            PREFECT_WORKER_QUERY_SECONDS="2",
            PERMANENCE_ALLOW_ROOT="1",  # CI containers run as root; a real host runs a service account
        )
        t0 = time.monotonic()
        stack = serve.serve(data_dir, port=port, env=env)
        pids = [stack.server_pid, stack.worker_pid]
        try:
            assert stack.api_url == f"http://127.0.0.1:{port}/api"
            assert "nightly-load/nightly" in stack.deployments
            assert (data_dir / "prefect" / "prefect.db").exists()
            assert serve.read_pids(data_dir)["worker"] == stack.worker_pid
            print(f"stack up in {time.monotonic() - t0:.0f}s")

            # docs/security.md: the API wants serve's auth string (a POST meets the CSRF check first: 403)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"{stack.api_url}/admin/version", timeout=10)
            assert refused.value.code == 401
            anonymous = urllib.request.Request(f"{stack.api_url}/flows/filter", data=b"{}", method="POST",
                                               headers={"Content-Type": "application/json"})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(anonymous, timeout=10)
            assert refused.value.code in (401, 403)

            # a CLI run on this data directory finds the running server and uses it (no temporary server)
            found = serve.running_server_env(data_dir)
            assert found["PREFECT_API_URL"] == stack.api_url
            assert found["PREFECT_API_AUTH_STRING"] == stack.env["PREFECT_API_AUTH_STRING"]
            with temporary_settings(updates={PREFECT_API_URL: found["PREFECT_API_URL"],
                                             PREFECT_API_AUTH_STRING: found["PREFECT_API_AUTH_STRING"]}), \
                    get_client(sync_client=True) as client:
                deployment = client.read_deployment_by_name("nightly-load/nightly")
                assert deployment.parameters == {"source": str(drop.path), "la_code": drop.la_code}
                assert [s.schedule.cron for s in deployment.schedules] == ["30 1 * * *"]
                assert deployment.schedules[0].schedule.timezone == "Europe/London"
                assert deployment.global_concurrency_limit.limit == 1

                good = run_deployment("nightly-load/nightly", timeout=0)
                good = _wait_final(client, good.id)
                logs = _settled_logs(client, good.id)
                assert good.state.type.value == "COMPLETED", (good.state.message, logs)
                print(f"nightly completed at {time.monotonic() - t0:.0f}s")

                failed = run_deployment("nightly-load/nightly", timeout=0,
                                        parameters={"source": str(bad), "la_code": drop.la_code})
                failed = _wait_final(client, failed.id)
                assert failed.state.type.value == "FAILED"
        finally:
            serve.shutdown(stack)
        assert not any(serve.alive(p) for p in pids)
        assert serve.read_pids(data_dir) is None
        assert serve.running_server_env(data_dir) == {}  # stopped: runs start their own again
        print(f"stack down at {time.monotonic() - t0:.0f}s")

    # the run's logs say what was loaded, and never a child's identifier
    assert "published" in logs and f"(LA {drop.la_code})" in logs
    child_ids = {line.split(",")[0] for p in drop.path.glob("*.csv")
                 for line in p.read_text(encoding="utf-8-sig").splitlines()[1:] if line}
    assert not [c for c in child_ids if c and c in logs]

    with duckdb.connect(str(data_dir / "warehouse" / "permanence.duckdb"), read_only=True) as con:
        statuses = dict(con.execute("select status, count(*) from audit.loads group by 1").fetchall())
        assert statuses == {"published": 1, "quarantined": 1}
        assert con.execute("select count(*) from staging.stg_ssda903__episodes").fetchone()[0] > 0
    assert (data_dir / "published" / "permanence.duckdb").exists()

    # the quarantined run notified the webhook once (the nightly flow; its region subflow stays quiet)
    assert len(hook.received) == 1, hook.received
    note = hook.received[0]
    assert note["flow"] == "nightly-load" and note["state"] == "Failed"
    assert note["flow_run_id"] == str(failed.id)
    assert "quarantined" in note["message"]
