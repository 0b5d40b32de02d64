"""Tell someone when a run fails or crashes: a JSON POST to each webhook in PERMANENCE_NOTIFY_WEBHOOK.

Attached to the flows as Prefect state hooks (on_failure, on_crashed). The message says which flow
run, its state and its one-line message (file, row, rule: never a value); it is a plain JSON object
with a `text` field, which Microsoft Teams and Slack incoming webhooks display as is. Email, or
anything else, is Prefect configuration: an automation on "flow run entered Failed/Crashed" with a
notification block (docs/deploy.md).

A hook only runs while the flow's process is alive. A run killed outright (kill -9, power cut) is
caught by the next run's recovery (its load is recorded as `crashed`) and by Prefect, which marks
the run Crashed when the worker or the heartbeat says its process has gone.
"""

from __future__ import annotations

import json
import logging
import urllib.request

from permanence.config import Settings

log = logging.getLogger("permanence.ops.notify")


def message(flow_name: str, flow_run_id: str, flow_run_name: str, state_name: str, state_message: str | None,
            api_url: str | None = None) -> dict:
    text = f"permanence: flow run {flow_run_name} ({flow_name}) {state_name.lower()}"
    if state_message:
        text += f": {state_message}"
    out = {"text": text, "flow": flow_name, "flow_run_id": flow_run_id, "flow_run_name": flow_run_name,
           "state": state_name, "message": state_message or ""}
    if api_url and "/api" in api_url:
        out["url"] = api_url.rsplit("/api", 1)[0] + f"/runs/flow-run/{flow_run_id}"
    return out


def send(payload: dict, urls: list[str], timeout: float = 10) -> list[str]:
    """POST payload to every url; failures are logged, never raised. Returns the urls that took it."""
    body = json.dumps(payload).encode()
    ok = []
    for url in urls:
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                if 200 <= r.status < 300:
                    ok.append(url)
                    continue
                log.warning("notification webhook answered %s", r.status)
        except Exception as exc:  # a notification must never turn into a second failure
            log.warning("notification webhook failed: %s", type(exc).__name__)
    return ok


def webhooks(settings: Settings | None = None) -> list[str]:
    raw = (settings or Settings()).notify_webhook or ""
    return [u.strip() for u in raw.split(",") if u.strip()]


def on_failure(flow, flow_run, state) -> None:
    """Prefect flow hook for on_failure and on_crashed. Subflows stay quiet: their parent reports."""
    if getattr(flow_run, "parent_task_run_id", None):
        return
    urls = webhooks()
    if not urls:
        return
    from prefect.settings import PREFECT_API_URL

    send(message(flow.name, str(flow_run.id), flow_run.name, state.name, state.message, PREFECT_API_URL.value()), urls)


on_crashed = on_failure
