"""SIGTERM, as systemd, Docker and Kubernetes send it: no half-done work is lost.

- gunicorn finishes the request it is serving before it exits;
- the scheduler finishes its tick and releases its lease, so another takes over at once.
(Dramatiq workers, which need the broker and the actors, are covered in test_topology.py.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from crm.config import PROJECT_ROOT
from tests.reliability.topology import CRM, Process
from tests.reliability.web_process import BASE_ENV, running_web


def test_gunicorn_finishes_the_request_in_flight_on_sigterm(tmp_path: Path) -> None:
    with running_web(tmp_path) as web:
        body = json.dumps({"first_name": "Inflight", "email": "inflight@example.org", "citizenships": ["IE"],
                           "age": 24}).encode()
        head = (f"POST /api/leads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", web.port), timeout=60) as conn:
            # Given a request whose body is still arriving (a worker has it: it is reading the body)
            conn.sendall(head + body[:10])
            time.sleep(1.0)
            # When the master is told to stop
            web.process.popen.send_signal(15)  # type: ignore[union-attr]
            time.sleep(0.5)
            conn.sendall(body[10:])
            # Then the request completes and is stored
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
        assert web.process.popen.wait(60) == 0  # type: ignore[union-attr]
        assert web.rows("leads") == 1 and web.rows("inquiries") == 1


def _lease(database: Path) -> tuple[str, datetime] | None:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT holder, expires_at FROM leases WHERE name = 'scheduler'")).first()
    finally:
        engine.dispose()
    if row is None:
        return None
    expires = row[1] if isinstance(row[1], datetime) else datetime.fromisoformat(str(row[1]))
    return str(row[0]), expires if expires.tzinfo else expires.replace(tzinfo=UTC)


def test_the_scheduler_releases_its_lease_on_sigterm(tmp_path: Path) -> None:
    database = tmp_path / "crm.sqlite3"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CRM_")}, **BASE_ENV,
           "CRM_DATABASE_URL": f"sqlite:///{database}", "CRM_VAR_DIR": str(tmp_path),
           "CRM_MAIL_URL": f"file://{tmp_path / 'outbox'}", "CRM_SCHEDULER_LEASE_SECONDS": "300"}
    subprocess.run([CRM, "db", "upgrade"], env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
    scheduler = Process("scheduler", [CRM, "scheduler"], env, tmp_path / "scheduler.log")
    scheduler.start()
    try:
        # Given a scheduler holding the lease (for 300 s)
        deadline = time.monotonic() + 60
        while (lease := _lease(database)) is None:
            assert scheduler.group_alive(), "\n".join(scheduler.log_lines()[-5:])
            assert time.monotonic() < deadline, "the scheduler never took the lease"
            time.sleep(0.2)
        assert lease[1] > datetime.now(UTC)
        # When it is told to stop
        assert scheduler.terminate(timeout=60) == 0
    finally:
        scheduler.kill()
    # Then it has given the lease up: another scheduler may take it now, not in 300 s
    holder, expires = _lease(database) or ("", datetime.max.replace(tzinfo=UTC))
    assert holder == lease[0]
    assert expires <= datetime.now(UTC)
    assert "Scheduler stopped." in scheduler.log_lines()
