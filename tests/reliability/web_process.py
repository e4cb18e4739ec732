"""`crm web` alone (gunicorn, 2 workers) on a migrated SQLite file, for tests that only need HTTP."""

from __future__ import annotations

import http.client
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from crm.config import PROJECT_ROOT
from tests.reliability.topology import CRM, Process, free_port

BASE_ENV = {
    "CRM_ENV": "production", "CRM_LOG_FORMAT": "json", "CRM_SECRET_KEY": "web-process-test-secret-key-0123456789",
    "CRM_RATE_LIMIT": "off", "CRM_BUSINESS_NAME": "Maple Route Immigration",
    "CRM_BUSINESS_ADDRESS": "100 King Street West, Toronto ON M5X 1A9, Canada",
    "CRM_BUSINESS_CONTACT": "+1 416 555 0100", "CRM_MAIL_FROM": "Maple Route <hello@maple-route.example>",
    "CRM_BASE_URL": "https://crm.maple-route.example", "PYTHONUNBUFFERED": "1",
}


@dataclass
class Web:
    port: int
    engine: Engine
    process: Process

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, source: str = "127.0.0.1") -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(source, 0))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def rows(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


@contextmanager
def running_web(workdir: Path, **env: str) -> Iterator[Web]:
    import subprocess

    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    database = workdir / "crm.sqlite3"
    full_env = {**{k: v for k, v in os.environ.items() if not k.startswith("CRM_")}, **BASE_ENV,
                "CRM_DATABASE_URL": f"sqlite:///{database}", "CRM_VAR_DIR": str(workdir),
                "CRM_BIND": f"127.0.0.1:{port}", "CRM_WEB_WORKERS": "2", **env}
    subprocess.run([CRM, "db", "upgrade"], env=full_env, cwd=PROJECT_ROOT, check=True, capture_output=True)
    process = Process("web", [CRM, "web"], full_env, workdir / "web.log")
    process.start()
    engine = create_engine(f"sqlite:///{database}")
    web = Web(port, engine, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.group_alive(), "\n".join(process.log_lines()[-5:])
            try:
                if web.request("GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "crm web did not become ready"
            time.sleep(0.2)
        yield web
    finally:
        process.terminate(timeout=30)
        engine.dispose()
