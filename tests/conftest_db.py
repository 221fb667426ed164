"""Database fixtures (a pytest plugin: ``pytest_plugins = ["tests.conftest_db"]``).

``db_url`` is parametrised over SQLite and PostgreSQL. PostgreSQL is a throwaway cluster
started once per session with Debian's binaries as user ``postgres``; the parameter is
skipped only where those binaries are missing.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


def _postgres_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


@pytest.fixture(scope="session")
def postgres_cluster():
    """(socket dir, port) of a PostgreSQL cluster living for the test session."""
    bindir = _postgres_bin()
    if bindir is None or not (bindir / "pg_ctl").exists():
        pytest.skip("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="quote-review-pg-"))
    data, sockets = root / "data", root / "sock"
    data.mkdir()
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    subprocess.run(_as_postgres(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                "--no-sync", "-E", "UTF8"), check=True, capture_output=True)
    subprocess.run(_as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"),
                                "-o", f"-p {port} -k {sockets} -c listen_addresses='' -c fsync=off", "start"),
                   check=True, capture_output=True)
    try:
        yield sockets, port, bindir
    finally:
        subprocess.run(_as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _create_database(cluster) -> str:
    sockets, port, bindir = cluster
    name = "qr_" + uuid.uuid4().hex[:12]
    psql = bindir / "psql" if (bindir / "psql").exists() else Path("psql")
    subprocess.run(_as_postgres(str(psql), "-h", str(sockets), "-p", str(port), "-U", "postgres", "-d", "postgres",
                                "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"),
                   check=True, capture_output=True)
    return f"postgresql+psycopg://postgres@/{name}?host={sockets}&port={port}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database URL for each test, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'quote-review.db'}"
    return _create_database(request.getfixturevalue("postgres_cluster"))
