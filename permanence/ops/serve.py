"""Bring up (and down) what one server needs to run the deployments in prefect.yaml on their own.

    stack = serve(data_dir)        # Prefect server on loopback (database under data_dir/prefect),
                                   # the `permanence` process work pool, the deployments, a worker
    stop(data_dir)                 # worker first, then the server, by process id

With PREFECT_API_URL already set (a team's own Prefect server) no server is started: the pool is
created there, the deployments registered and a worker started on this host.

Process ids go to data_dir/prefect/serve.json; each process runs in its own process group, and
`stop` signals the group (SIGTERM, then SIGKILL after a grace period) and waits for it to end.

Locked down (docs/security.md): the server it starts wants a basic-auth string, generated once into
data_dir/prefect/api-auth (0600) and handed to the CLI calls and the worker through their
environment; CSRF protection is on and CORS admits the server's own UI origin only. The worker
refuses to run as root unless PERMANENCE_ALLOW_ROOT=1, and prefect.yaml may hold no build, push or
pull steps of its own (a pull step is a shell the worker runs).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from permanence import yamlfile

REPO = Path(__file__).resolve().parents[2]
POOL = "permanence"
PID_FILE = "serve.json"
AUTH_FILE = "api-auth"
ALLOW_ROOT = "PERMANENCE_ALLOW_ROOT"
QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}


# Prefect's temporary server (a run with no PREFECT_API_URL) lives for one run, on the run's own cores.
# It still records the flow and task runs (its database keeps them, `prefect server start` shows
# them); what it need not do for a run nobody watches live: persist every event for the UI's event
# feed, and evaluate automations (a team that wants them runs `permanence serve` or its own server).
# In a 40-LA run these two took about a quarter of the server's CPU (docs/performance.md).
# Nor does it run the loops that look after deployments, workers and paused or cancelled runs: the
# temporary server has none of them (its one run is in this process), and the loops wake every
# 5-60 s for the whole run, ~1.5 CPU s a minute.
TEMPORARY_SERVER = {
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    **{f"PREFECT_SERVER_SERVICES_{loop}_ENABLED": "false" for loop in (
        "SCHEDULER", "LATE_RUNS", "FOREMAN", "CANCELLATION_CLEANUP", "PAUSE_EXPIRATIONS", "REPOSSESSOR",
        "CLEANUP_RECONCILER")},
}


def temporary_server_defaults(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Set TEMPORARY_SERVER's values in `environ` (default os.environ) when the run will start a
    temporary server (no PREFECT_API_URL), each unless already set; returns what was set."""
    environ = os.environ if environ is None else environ
    if environ.get("PREFECT_API_URL"):
        return {}
    added = {k: v for k, v in TEMPORARY_SERVER.items() if k not in environ}
    environ.update(added)
    if environ is os.environ:
        _TEMPORARY_SET.update(added)
    return added


# What temporary_server_defaults set in this process: a server `serve` starts must not inherit it.
_TEMPORARY_SET: set[str] = set()


class ServeError(RuntimeError):
    pass


@dataclass
class Stack:
    data_dir: Path
    api_url: str
    env: dict[str, str]
    server_pid: int | None = None
    worker_pid: int | None = None
    deployments: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def prefect_dir(self) -> Path:
        return self.data_dir / "prefect"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def prefect_env(data_dir: Path, api_url: str | None = None, port: int = 4200,
                base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for the server, the CLI calls and the worker: Prefect's home and database
    under data_dir/prefect, analytics off, the API on loopback unless api_url says otherwise."""
    data_dir = data_dir.resolve()
    home = data_dir / "prefect"
    env = dict(os.environ if base is None else base)
    for name in _TEMPORARY_SET:  # a lasting server keeps its events and automations
        if env.get(name) == TEMPORARY_SERVER[name]:
            del env[name]
    env.update(QUIET)
    # The CLI quiets Prefect's INFO lines on its own terminal; the server and worker must not inherit
    # that, or flow runs would send only warnings to the Prefect UI. PERMANENCE_RUN_LOG_LEVEL overrides.
    env["PREFECT_LOGGING_LEVEL"] = env.get("PERMANENCE_RUN_LOG_LEVEL", "INFO")
    env["PREFECT_HOME"] = str(home)
    env["PREFECT_API_URL"] = api_url or f"http://127.0.0.1:{port}/api"
    env.setdefault("PREFECT_API_DATABASE_CONNECTION_URL", f"sqlite+aiosqlite:///{home / 'prefect.db'}")
    env["PERMANENCE_DATA_DIR"] = str(data_dir)
    if not api_url:  # our own server: locked to this data directory's auth string and its own UI
        auth = api_auth_string(data_dir)
        env["PREFECT_SERVER_API_AUTH_STRING"] = auth
        env["PREFECT_API_AUTH_STRING"] = auth
        env["PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED"] = "true"
        env["PREFECT_CLIENT_CSRF_SUPPORT_ENABLED"] = "true"
        env["PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS"] = f"http://127.0.0.1:{port}"
    return env


def api_auth_string(data_dir: Path) -> str:
    """'permanence:<random>' from data_dir/prefect/api-auth, made (0600) the first time."""
    import secrets

    path = data_dir / "prefect" / AUTH_FILE
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made meanwhile by another serve
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(f"permanence:{secrets.token_urlsafe(32)}\n")
    mode = path.stat().st_mode & 0o077
    if mode:
        raise ServeError(f"{path} is open to other users; run `chmod 600 {path}`")
    return path.read_text().strip()


def refuse_root(env: dict[str, str]) -> None:
    """A flow run is the worker's user: as root, a bad deployment would own the host."""
    if hasattr(os, "geteuid") and os.geteuid() == 0 and env.get(ALLOW_ROOT) != "1":
        raise ServeError(f"refusing to start the worker as root; run it as a service account (or set {ALLOW_ROOT}=1)")


def check_steps(prefect_yaml: Path = REPO / "prefect.yaml") -> None:
    """Deployments run the project's own flows from this checkout and nothing else: no build, push
    or pull steps (a run_shell_script or git_clone step would run whatever it names as the worker)."""
    spec = yamlfile.safe_load(prefect_yaml.read_text()) or {}
    places = [("", spec)] + [(f"deployment {d.get('name')}: ", d) for d in spec.get("deployments", [])]
    for where, section in places:
        for key in ("build", "push", "pull"):
            if section.get(key):
                raise ServeError(f"{prefect_yaml.name}: {where}'{key}' steps are not allowed (docs/security.md)")


def _prefect(*args: str) -> list[str]:
    return [sys.executable, "-m", "prefect", *args]


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> int:
    log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(log, "ab") as fh:
        # umask 077: the server's database, the worker's flow runs and all they write stay private
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, umask=0o077)
    return proc.pid


def wait_healthy(api_url: str, timeout: float = 180, pid: int | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid is not None and not alive(pid):
            raise ServeError(f"Prefect server (pid {pid}) exited during startup")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise ServeError(f"Prefect API at {api_url} not healthy after {timeout:.0f}s")


def start_server(data_dir: Path, port: int, env: dict[str, str]) -> int:
    (data_dir / "prefect").mkdir(mode=0o700, parents=True, exist_ok=True)
    pid = _spawn(_prefect("server", "start", "--host", "127.0.0.1", "--port", str(port)), env,
                 data_dir / "prefect" / "server.log")
    try:
        wait_healthy(env["PREFECT_API_URL"], pid=pid)
    except BaseException:
        terminate(pid)
        raise
    return pid


def _run(cmd: list[str], env: dict[str, str], what: str) -> str:
    p = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        tail = (p.stdout + p.stderr).strip().splitlines()[-5:]
        raise ServeError(f"{what} failed (exit {p.returncode}): " + " | ".join(tail))
    return p.stdout


def create_pool(env: dict[str, str]) -> None:
    _run(_prefect("work-pool", "create", POOL, "--type", "process", "--overwrite"), env, f"creating work pool {POOL}")


def deployable(env: dict[str, str] | None = None, prefect_yaml: Path = REPO / "prefect.yaml") -> tuple[list[str], list[str]]:
    """Deployments in prefect.yaml as 'flow-name/deployment', split into those that can be deployed
    and those that cannot yet ('name (reason)'): flow not in this checkout, or a {{ $VAR }} in its
    parameters unset in env."""
    import re

    env = os.environ if env is None else env
    spec = yamlfile.safe_load(prefect_yaml.read_text())
    ready, missing = [], []
    for d in spec.get("deployments", []):
        path, func = d["entrypoint"].split(":")
        name = _flow_name(REPO / path, func)
        unset = [v for v in re.findall(r"{{\s*\$(\w+)\s*}}", json.dumps(d.get("parameters", {}))) if not env.get(v)]
        if not name:
            missing.append(f"{func}/{d['name']} (flow not in this checkout)")
        elif unset:
            missing.append(f"{name}/{d['name']} (set {', '.join(unset)})")
        else:
            ready.append(f"{name}/{d['name']}")
    return ready, missing


def _flow_name(path: Path, func: str) -> str | None:
    """The @flow(name=...) of func in path, read from the source without importing it."""
    import ast

    if not path.exists():
        return None
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef) and node.name == func:
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if getattr(target, "id", getattr(target, "attr", None)) != "flow":
                    continue
                for kw in getattr(dec, "keywords", []):
                    if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                        return kw.value.value
                return func.replace("_", "-")
    return None


def deploy(env: dict[str, str], names: list[str]) -> None:
    """Register the named deployments ('flow-name/deployment') from prefect.yaml.

    Their parameters are templated from the environment and stored by Prefect: a source URL goes in
    without its credentials, which the worker's own PERMANENCE_SOURCE supplies at run time."""
    from permanence.ops.security import strip_credentials

    env = dict(env)
    for var in ("PERMANENCE_SOURCE",):
        if env.get(var):
            env[var] = strip_credentials(env[var])
    args = ["--no-prompt", "deploy"]
    for n in names:
        args += ["-n", n.split("/", 1)[-1]]  # prefect.yaml deployment names are unique
    _run(_prefect(*args), env, "prefect deploy")


def start_worker(data_dir: Path, env: dict[str, str]) -> int:
    refuse_root(env)
    return _spawn(_prefect("worker", "start", "--pool", POOL, "--type", "process"), env,
                  data_dir / "prefect" / "worker.log")


def write_pids(stack: Stack) -> Path:
    path = stack.prefect_dir / PID_FILE
    path.write_text(json.dumps({"api_url": stack.api_url, "server": stack.server_pid,
                                "worker": stack.worker_pid, "deployments": stack.deployments}, indent=2))
    return path


def serve(data_dir: Path, port: int | None = None, env: dict[str, str] | None = None) -> Stack:
    """Start server (unless PREFECT_API_URL is set), pool, deployments, worker; record the pids."""
    from permanence.ops.security import ensure_private_dir

    data_dir = data_dir.resolve()
    base = dict(os.environ if env is None else env)
    refuse_root(base)
    check_steps()
    ensure_private_dir(data_dir, base.get("PERMANENCE_BI_GROUP"))
    if read_pids(data_dir):
        raise ServeError(f"already running (see {data_dir / 'prefect' / PID_FILE}); `permanence stop` first")
    team_api = base.get("PREFECT_API_URL")
    port = port or int(base.get("PERMANENCE_PREFECT_PORT", 4200))
    full = prefect_env(data_dir, team_api, port, base)
    stack = Stack(data_dir, full["PREFECT_API_URL"], full)
    stack.prefect_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if team_api:
            wait_healthy(team_api, timeout=30)
        else:
            stack.server_pid = start_server(data_dir, port, full)
            write_pids(stack)
        create_pool(full)
        stack.deployments, stack.skipped = deployable(full)
        deploy(full, stack.deployments)
        stack.worker_pid = start_worker(data_dir, full)
        write_pids(stack)
    except BaseException:
        shutdown(stack)
        raise
    return stack


def running_server_env(data_dir: Path) -> dict[str, str]:
    """The client settings for the Prefect server `permanence serve` runs for this data directory,
    when it runs and answers; {} otherwise. A CLI run then records its flow run there (seen in the
    UI) instead of starting a temporary server of its own, whose start is racy on a loaded machine."""
    try:
        info = read_pids(data_dir)
    except (OSError, ValueError):
        return {}
    if not info or not info.get("server") or not info.get("api_url"):
        return {}  # no stack, or one using a team's own server (its env already says so)
    try:
        with urllib.request.urlopen(f"{info['api_url']}/health", timeout=3) as r:
            if r.status != 200:
                return {}
        auth = api_auth_string(data_dir)
    except (OSError, urllib.error.URLError, ServeError):
        return {}
    return {"PREFECT_API_URL": info["api_url"], "PREFECT_API_AUTH_STRING": auth,
            "PREFECT_CLIENT_CSRF_SUPPORT_ENABLED": "true"}


def read_pids(data_dir: Path) -> dict | None:
    path = data_dir.resolve() / "prefect" / PID_FILE
    if not path.exists():
        return None
    info = json.loads(path.read_text())
    if not any(info.get(k) and alive(info[k]) for k in ("server", "worker")):
        path.unlink()  # left by a stack that died with the machine
        return None
    return info


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie of ours counts as gone
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        stat = Path(f"/proc/{pid}/stat")
        return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def _is_prefect(pid: int) -> bool:
    """Guard against a recycled pid: only signal what is still a prefect process."""
    try:
        return b"prefect" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return sys.platform != "linux" and alive(pid)


def terminate(pid: int | None, grace: float = 20) -> None:
    """SIGTERM the process group pid leads (the process itself if it has none), wait, then SIGKILL."""
    if not pid or not alive(pid) or not _is_prefect(pid):
        return

    def signal_group(sig: int) -> None:
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive(pid):
        signal_group(signal.SIGKILL)
        while alive(pid):
            time.sleep(0.1)
    try:  # children of the group that outlived their leader (a flow run the worker started)
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def shutdown(stack: Stack) -> None:
    terminate(stack.worker_pid)  # worker first: it stops taking runs while the API is still up
    terminate(stack.server_pid)
    path = stack.prefect_dir / PID_FILE
    if path.exists():
        path.unlink()


def stop(data_dir: Path) -> dict | None:
    """Stop what serve() started under data_dir (worker, then server). Returns the pids it stopped."""
    info = read_pids(data_dir)
    if not info:
        return None
    shutdown(Stack(data_dir.resolve(), info.get("api_url", ""), {}, info.get("server"), info.get("worker")))
    return info
