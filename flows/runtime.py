"""Prefect, quiet and dependable: settings, the long-lived local server, and its health.

Prefect's ephemeral mode starts a temporary API server on every run (about
20 s here). ``quote-review server start`` keeps one running on 127.0.0.1 so
that each command reaches its first verdict in a few seconds; commands use it
whenever it answers and fall back to ephemeral mode otherwise.
"""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from core.errors import OrchestrationError
from core.settings import DEFAULT_PREFECT_PORT, Settings

DEFAULT_PORT = DEFAULT_PREFECT_PORT


def home() -> Path:
    """Where quote-review keeps its state: database, originals, outbox, Prefect's files."""
    return Settings.load().home.resolve()


def server_url(port: int | None = None) -> str:
    port = port or Settings.load().prefect_port
    return f"http://127.0.0.1:{port}/api"


def is_healthy(api_url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def configure_prefect() -> str:
    """Set Prefect's environment before it is imported; returns "server" or "ephemeral"."""
    os.environ.setdefault("PREFECT_HOME", str(Settings.load().prefect_home.resolve()))
    # Prefect's SQLite database lives there; a missing folder fails its server's start-up.
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_LOG_PRINTS", "false")
    # Shipping logs to the API races with a temporary server's shutdown ("Error logging to API").
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    os.environ.setdefault("PREFECT_TASKS_REFRESH_CACHE", "false")
    os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    if "PREFECT_API_URL" in os.environ:
        return "server"
    url = server_url()
    if is_healthy(url):
        os.environ["PREFECT_API_URL"] = url
        return "server"
    return "ephemeral"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_temporary_server(wait_seconds: float = 90) -> str:
    """Prefect's API for this command only, started as Prefect's own ephemeral mode starts it
    (uvicorn on a free loopback port), but tied to this process: it is stopped at exit, on SIGTERM
    (which the CLI turns into a normal exit), and, through ``setpriv --pdeathsig``, even when this
    process is killed outright, so no server outlives the command that started it."""
    state = Path(os.environ["PREFECT_HOME"])
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on"]
    setpriv = shutil.which("setpriv")
    if setpriv:
        command = [setpriv, "--pdeathsig", "TERM", *command]
    with (state / "temporary-server.log").open("ab") as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL, env=env)

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    atexit.register(stop)
    deadline = time.monotonic() + wait_seconds
    while not is_healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop()
            raise OrchestrationError(f"the temporary Prefect server did not start; see {state / 'temporary-server.log'}")
        time.sleep(0.25)
    os.environ["PREFECT_API_URL"] = url
    return url


def _pid_file() -> Path:
    return home() / "prefect-server.pid"


def start_server(port: int | None = None, wait_seconds: float = 90) -> str:
    """Start ``prefect server start`` detached on loopback and wait until it is healthy."""
    url = server_url(port)
    if is_healthy(url):
        return url
    state = home()
    (state / "prefect").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("PREFECT_HOME", str(state / "prefect"))
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.pop("PREFECT_API_URL", None)
    log = (state / "prefect-server.log").open("ab")
    prefect = Path(sys.executable).with_name("prefect")
    process = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(url.split(":")[-1].split("/")[0])],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True,
    )
    _pid_file().write_text(str(process.pid))
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise OrchestrationError(f"the local Prefect server exited (code {process.returncode}); see {state / 'prefect-server.log'}")
        if is_healthy(url):
            return url
        time.sleep(0.5)
    stop_server()
    raise OrchestrationError(f"the local Prefect server did not answer within {wait_seconds:.0f} s; see {state / 'prefect-server.log'}")


def stop_server() -> bool:
    """Stop the server started by ``start_server``; False when none was running."""
    pid_file = _pid_file()
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    pid_file.unlink()
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    for _ in range(50):
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    return True
