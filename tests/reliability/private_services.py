"""Private broker and database servers for the outage tests.

The machine's shared PostgreSQL (5432), Redis (6379) and RabbitMQ (5672) serve other tests at the
same time, so a test that restarts "the database" or "the broker" starts its own instance on a free
port and restarts that one: a Redis without persistence (a restart loses every queued message, the
case where the database-side sweep must recover everything) and a throwaway PostgreSQL cluster
(`initdb` in a temporary directory, stopped with `-m immediate`, as in a crash).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.reliability.topology import free_port


def _wait_port(port: int, timeout: float) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listening on port {port} after {timeout}s")


class PrivateRedis:
    """`redis-server` on a free port, no persistence: `restart` = SIGKILL + start on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.fail("redis-server is not installed") if os.environ.get("CI") else pytest.skip("no redis-server")
        self.port, self.workdir = free_port(), workdir
        self.popen: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with (self.workdir / "redis.log").open("ab") as log:
            self.popen = subprocess.Popen(
                [str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--daemonize", "no", "--dir", str(self.workdir)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        _wait_port(self.port, 30)

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    def restart(self, down_seconds: float = 0.0) -> None:
        self.kill()
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1


class PrivateCluster:
    """A throwaway PostgreSQL cluster owned by the `postgres` user (we may be root), on a free port."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            pytest.fail("PostgreSQL binaries not found") if os.environ.get("CI") else pytest.skip("no pg_ctl")
        self.bindir = Path(found[-1]).parent
        self.port = free_port()
        # Not under pytest's tmp_path: another pytest run resets /tmp/pytest-of-<user> to mode 0700,
        # which would lock the `postgres` user out of its own data directory mid-test.
        self.workdir = Path(tempfile.mkdtemp(prefix="crm-reliability-pg-"))
        self.datadir = self.workdir / "pgdata"
        self.as_postgres = os.geteuid() == 0

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run([*prefix, *argv], check=check, capture_output=True, stdin=subprocess.DEVNULL)

    def init(self) -> None:
        if self.as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.workdir, entry.pw_uid, entry.pw_gid)
        self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        with (self.datadir / "postgresql.conf").open("a") as conf:
            conf.write("\nfsync = off\nmax_connections = 200\nlisten_addresses = '127.0.0.1'\n")

    def start(self, attempts: int = 10) -> None:
        """Start; after a crash the old backends may hold the port or shared memory a moment, so retry."""
        log = self.workdir / "postgres.log"
        for _ in range(attempts):
            done = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(log),
                             "-o", f"-p {self.port} -k {self.workdir}", "-w", "-t", "60", "start", check=False)
            if done.returncode == 0:
                return
            time.sleep(1.0)
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise AssertionError(f"PostgreSQL did not start: {done.stdout!r} {done.stderr!r}\n{tail}")

    def stop(self, mode: str = "immediate") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "stop", check=False)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
