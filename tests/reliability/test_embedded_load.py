"""SQLite embedded mode under load (slow): `crm run` (one process: web threads, the embedded queue's
worker threads and the scheduler on one SQLite file) takes a few hundred concurrent leads. Every
lead is stored once, classified and emailed once (counted at an SMTP sink), and the process never
reports "database is locked"."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.reliability.outages import report
from tests.reliability.topology import CRM, Process, Topology, lead_payload, stop_all

pytestmark = pytest.mark.slow

LEADS = int(os.environ.get("CRM_EMBEDDED_LEADS", "300"))


class EmbeddedTopology(Topology):
    """The harness's posting and counting around one `crm run` process instead of the topology."""

    def __init__(self, workdir: Path) -> None:
        super().__init__("redis", workdir, postgres_admin_url="", broker_admin_url="")

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.workdir / 'crm.sqlite3'}"

    @property
    def broker_url(self) -> str:
        return ""  # the embedded queue

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sink.start()
        env = {**self.env(), "CRM_ENV": "development", "CRM_LOG_FORMAT": "text"}
        self.processes = {"run": Process("run", [CRM, "run", "--port", str(self.web_port), "--threads", "4"], env,
                                         self.workdir / "run.log")}
        self.processes["run"].start()
        self.wait_ready(timeout=120)
        self.engine = create_engine(self.database_url)

    def _workers_booted(self) -> bool:
        return True  # the worker threads start before the web server answers

    def close(self) -> None:
        stop_all(self.processes.values())
        self.sink.stop()
        if self.engine is not None:
            self.engine.dispose()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedTopology]:
    with EmbeddedTopology(tmp_path / "embedded") as running:
        yield running


def test_embedded_sqlite_under_concurrent_load(embedded: EmbeddedTopology,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # Given a few hundred people posting at once to the all-in-one process
    payloads = [lead_payload(i, embedded.run_id) for i in range(LEADS)]
    result = embedded.post_leads(payloads, concurrency=16)
    # When its worker threads classify and email them while the web threads are still writing
    recovery = embedded.wait_until_complete(result.accepted)
    counts = embedded.counts(result.accepted, recovery)
    log = embedded.processes["run"].log_lines()
    locked = [line for line in log if "database is locked" in line.lower()]
    tracebacks = sum("Traceback" in line for line in log)
    report(capsys, counts, "embedded-sqlite",
           f"statuses={result.statuses} database_is_locked={len(locked)} tracebacks={tracebacks}")

    # Then nobody was turned away and nothing was reported locked
    assert result.statuses == {201: LEADS}
    assert not locked, locked[:3]
    # and every lead is stored once, classified and sent its first email exactly once
    assert counts.accepted == counts.stored == counts.classified == counts.emailed == LEADS
    assert embedded.db_rows("SELECT COUNT(*) FROM inquiries")[0][0] == LEADS
    assert counts.duplicates == 0 and counts.lost == 0
    assert max(embedded.sink.message_ids().values()) == 1
