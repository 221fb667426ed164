import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest_plugins = ["tests.conftest_db"]

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """A Prefect server on a free loopback port for the flow tests (ephemeral mode costs ~20 s per run)."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    log = (home / "server.log").open("wb")
    prefect = Path(sys.executable).with_name("prefect")
    server = subprocess.Popen([str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while not _healthy(url):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail("the Prefect server did not start: " + (home / "server.log").read_text()[-2000:])
        time.sleep(0.5)
    settings = dict(PREFECT_API_URL=url, PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
                    PREFECT_LOGGING_TO_API_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING")
    saved = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    yield url
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
