"""The production topology without containers, for the end-to-end and fault tests.

On loopback, as subprocesses in their own process groups: a fresh PostgreSQL database (created,
then `crm db upgrade`), `crm web` (gunicorn), `crm worker` (Dramatiq) on Redis or RabbitMQ (a
flushed Redis database or a fresh RabbitMQ vhost), `crm scheduler`, and an SMTP sink that records
every message. Helpers post leads concurrently, crash and restart processes, wait for the work to
finish and count what happened from the database and the sink, not from what the code claims.

It knows nothing of the actors' internals: only processes, HTTP, tables and SMTP.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from crm.config import PROJECT_ROOT
from tests.reliability.smtp_sink import SmtpSink

CRM = str(Path(sys.executable).with_name("crm"))

# Recovery thresholds for the fault tests (docs/reliability.md, "Thresholds in the fault tests").
# They decide only *when* lost work is sent again, never *whether*: the classify sweep re-sends a
# job still open after CRM_SWEEP_AFTER_SECONDS, the scheduler re-queues an email step whose message
# went missing after CRM_MAIL_STALE_QUEUED_SECONDS and settles a dead worker's claim after
# CRM_MAIL_STALE_CLAIM_SECONDS (its hand-over deadline, derived from it, becomes 20 s). Production
# keeps its defaults (docs/operations.md). Shorter thresholds re-send more work that is merely slow,
# so the actors see more duplicate messages: the exactly-once checks get harder, not easier.
FAST_RECOVERY = {
    "CRM_SWEEP_AFTER_SECONDS": "15", "CRM_SWEEP_EVERY_SECONDS": "2",
    "CRM_MAIL_STALE_QUEUED_SECONDS": "20", "CRM_MAIL_STALE_CLAIM_SECONDS": "40",
    "CRM_DUE_STEPS_EVERY_SECONDS": "2",
}
IEC_COUNTRIES = ("IE", "FR", "GB", "AU", "NZ", "DE", "JP", "KR", "IT", "ES", "NL", "BE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def lead_payload(index: int, run: str) -> dict[str, Any]:
    """A lead that a consultancy would want: young IEC-country citizen looking for work, consenting."""
    return {
        "first_name": f"Topo{index}", "last_name": "Reliability", "email": f"lead{index}.{run}@example.org",
        "citizenships": [IEC_COUNTRIES[index % len(IEC_COUNTRIES)]], "age": 22 + index % 8,
        "interest": "work", "preferred_language": "fr" if index % 5 == 0 else "en",
        "consent_marketing": True, "consent_text": "Yes, email me about my options.",
        "source_url": "https://maple-route.example/contact", "form_id": "reliability",
    }


@dataclass
class Process:
    """One entry point (`crm web` etc.) as a process group, logging to its own file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, cwd=PROJECT_ROOT, start_new_session=True)
        self.starts += 1

    @property
    def pid(self) -> int:
        assert self.popen is not None, f"{self.name} was never started"
        return self.popen.pid

    def group_alive(self) -> bool:
        if self.popen is None:
            return False
        self.popen.poll()
        try:
            os.killpg(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> None:
        """SIGKILL the whole group: the master and every worker, as in a crash of the host."""
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait()
            self._wait_group_gone(30)

    def terminate(self, timeout: float = 90) -> int | None:
        """SIGTERM to the main process only (as systemd's KillMode=mixed does); SIGKILL after `timeout`."""
        self.send_term()
        return self.wait_stopped(timeout)

    def send_term(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float = 90) -> int | None:
        """After `send_term`: wait for the process and its group; SIGKILL what is left after `timeout`."""
        if self.popen is None:
            return None
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        if not self._wait_group_gone(timeout):
            self.kill()
        return self.popen.returncode

    def restart(self) -> None:
        self.kill()
        self.start()

    def _wait_group_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.group_alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()


def stop_all(processes: Iterable[Process], timeout: float = 30) -> None:
    """SIGTERM every process at once (each shuts down gracefully in parallel), then wait for each."""
    running = list(processes)
    for process in running:
        process.send_term()
    for process in running:
        process.wait_stopped(timeout)


@dataclass
class PostResult:
    accepted: dict[str, str] = field(default_factory=dict)  # email -> lead id, for 2xx answers
    statuses: dict[int, int] = field(default_factory=dict)  # final status -> how many
    connection_errors: int = 0  # attempts that got no HTTP answer (retried when allowed)
    retried: int = 0
    attempt_statuses: dict[int, int] = field(default_factory=dict)  # every attempt's status, 0 = no answer


@dataclass
class Counts:
    accepted: int
    stored: int
    classified: int
    emailed: int  # accepted leads whose address received at least one message
    duplicates: int  # extra messages per address, plus extra inquiries per accepted lead
    lost: int  # accepted but not stored, not classified or not emailed
    recovery_seconds: float | None
    sink_total: int

    def line(self, label: str) -> str:
        recovery = "n/a" if self.recovery_seconds is None else f"{self.recovery_seconds:.1f}"
        return (f"[{label}] accepted={self.accepted} stored={self.stored} classified={self.classified} "
                f"emailed={self.emailed} duplicates={self.duplicates} lost={self.lost} "
                f"recovery_seconds={recovery} sink_messages={self.sink_total}")


class Topology:
    NOTE_AFTER_SECONDS = 45.0
    def __init__(self, broker: str, workdir: Path, *, postgres_admin_url: str, broker_admin_url: str,
                 web_workers: int = 2, worker_processes: int = 2, worker_threads: int = 4,
                 extra_env: dict[str, str] | None = None) -> None:
        assert broker in ("redis", "rabbitmq")
        self.broker, self.workdir = broker, workdir
        self.postgres_admin_url, self.broker_admin_url = postgres_admin_url, broker_admin_url
        self.web_port, self.sink = free_port(), SmtpSink(free_port())
        self.run_id = uuid.uuid4().hex[:8]
        self.database_name = f"crm_topology_{self.run_id}"
        self.vhost = f"crm_topology_{self.run_id}"
        self.extra_env = extra_env or {}
        self.web_workers, self.worker_processes, self.worker_threads = web_workers, worker_processes, worker_threads
        self.processes: dict[str, Process] = {}
        self.engine: Engine | None = None
        self.last_fault: float | None = None
        self.waiting_on: str | None = None  # what was unfinished NOTE_AFTER_SECONDS into the last wait

    # -- set-up and tear-down ------------------------------------------------------------------
    def __enter__(self) -> Topology:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def database_url(self) -> str:
        return make_url(self.postgres_admin_url).set(drivername="postgresql+psycopg", database=self.database_name) \
            .render_as_string(hide_password=False)

    @property
    def broker_url(self) -> str:
        if self.broker == "redis":
            return self.broker_admin_url
        url = make_url(self.broker_admin_url.replace("amqp://", "http://", 1))
        return f"amqp://{url.username}:{url.password}@{url.host}:{url.port or 5672}/{quote(self.vhost, safe='')}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def env(self) -> dict[str, str]:
        base = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
        return {
            **base, "PYTHONUNBUFFERED": "1", "CRM_ENV": "production", "CRM_LOG_FORMAT": "json",
            "CRM_SECRET_KEY": f"topology-{self.run_id}-secret-key-0123456789abcdef",
            "CRM_DATABASE_URL": self.database_url, "CRM_BROKER_URL": self.broker_url, "CRM_MAIL_URL": self.sink.url,
            "CRM_VAR_DIR": str(self.workdir / "var"), "CRM_BASE_URL": self.base_url, "CRM_RATE_LIMIT": "off",
            "CRM_BIND": f"127.0.0.1:{self.web_port}", "CRM_WEB_WORKERS": str(self.web_workers),
            "CRM_MAIL_FROM": "Maple Route Immigration <hello@maple-route.example>",
            "CRM_BUSINESS_NAME": "Maple Route Immigration",
            "CRM_BUSINESS_ADDRESS": "100 King Street West, Toronto ON M5X 1A9, Canada",
            "CRM_BUSINESS_CONTACT": "+1 416 555 0100", "CRM_LICENCE_NUMBER": "R000000",
            "CRM_SCHEDULER_LEASE_SECONDS": "5", "CRM_AMQP_HEARTBEAT": "5",
            **self.extra_env,
        }

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._create_database()
        self._reset_broker()
        self.sink.start()
        env = self.env()
        subprocess.run([CRM, "db", "upgrade"], env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
        self.processes = {
            "web": Process("web", [CRM, "web"], env, self.workdir / "web.log"),
            "worker": Process("worker", [CRM, "worker", "-p", str(self.worker_processes), "-t",
                                         str(self.worker_threads)], env, self.workdir / "worker.log"),
            "scheduler": Process("scheduler", [CRM, "scheduler"], env, self.workdir / "scheduler.log"),
        }
        for process in self.processes.values():
            process.start()
        self.wait_ready()

    def close(self) -> None:
        stop_all(self.processes.values())
        self.sink.stop()
        if self.engine is not None:
            self.engine.dispose()
        admin = create_engine(make_url(self.postgres_admin_url).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)'))
        admin.dispose()
        self._clean_broker()

    def _create_database(self) -> None:
        admin = create_engine(make_url(self.postgres_admin_url).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.database_name}"'))
        admin.dispose()
        self.engine = create_engine(self.database_url, pool_size=2)

    def _reset_broker(self) -> None:
        if self.broker == "redis":
            import redis

            with redis.Redis.from_url(self.broker_url) as client:
                client.flushdb()
        else:
            for args in (["add_vhost", self.vhost], ["set_permissions", "-p", self.vhost,
                                                    make_url(self.broker_url.replace("amqp", "http", 1)).username,
                                                    ".*", ".*", ".*"]):
                subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True)

    def _clean_broker(self) -> None:
        if self.broker == "redis":
            import redis

            with redis.Redis.from_url(self.broker_url) as client:
                client.flushdb()
        else:
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", self.vhost], check=False, capture_output=True)

    def wait_ready(self, timeout: float = 90) -> None:
        """Until /readyz answers 200 (database and broker reachable) and every worker process booted."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [name for name, process in self.processes.items() if not process.group_alive()]
            if dead:
                tail = "\n".join(self.processes[dead[0]].log_lines()[-5:])[-3000:]
                raise AssertionError(f"{dead} exited during start-up; last lines of {dead[0]}:\n{tail}")
            if self.get("/readyz")[0] == 200 and self._workers_booted():
                return
            time.sleep(0.2)
        raise AssertionError(f"topology not ready after {timeout}s; see logs in {self.workdir}")

    def _workers_booted(self) -> bool:
        worker = self.processes["worker"]
        ready = sum("ready for action" in line for line in worker.log_lines())
        return ready >= self.worker_processes * worker.starts

    # -- traffic -------------------------------------------------------------------------------
    def get(self, path: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        except OSError:
            return 0, b""
        finally:
            conn.close()

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=60)
        try:
            conn.request("POST", "/api/leads", body=body, headers={"Content-Type": "application/json", **headers})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def post_leads(self, payloads: Iterable[dict[str, Any]], concurrency: int = 16, attempts: int = 1,
                   on_progress: Callable[[int], None] | None = None) -> PostResult:
        """Post each payload (one Idempotency-Key each); retry on no answer or 502/503 up to `attempts`."""
        result, lock, done = PostResult(), threading.Lock(), [0]

        def send(payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            headers = {"Idempotency-Key": f"{self.run_id}-{payload['email']}"}
            status, answer = 0, b""
            for attempt in range(attempts):
                if attempt:
                    with lock:
                        result.retried += 1
                    time.sleep(min(0.2 * attempt, 2.0))
                try:
                    status, answer = self.post(body, headers)
                except (OSError, http.client.HTTPException):
                    with lock:
                        result.connection_errors += 1
                        result.attempt_statuses[0] = result.attempt_statuses.get(0, 0) + 1
                    status = 0
                    continue
                with lock:
                    result.attempt_statuses[status] = result.attempt_statuses.get(status, 0) + 1
                if status not in (502, 503):
                    break
            with lock:
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    result.accepted[payload["email"]] = json.loads(answer)["id"]
                done[0] += 1
                if on_progress is not None:
                    on_progress(done[0])

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(send, payloads))
        return result

    # -- faults --------------------------------------------------------------------------------
    def crash(self, name: str) -> None:
        """SIGKILL the process group `name` and start it again."""
        self.processes[name].restart()
        self.last_fault = time.monotonic()

    # -- counting ------------------------------------------------------------------------------
    def db_rows(self, sql: str, **params: Any) -> list[Any]:
        assert self.engine is not None
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def progress(self, accepted: dict[str, str]) -> tuple[int, int]:
        """(classified, first-emailed) among the accepted leads, from the database and the sink."""
        ids = set(accepted.values())
        classified = {row[0] for row in self.db_rows("SELECT id FROM leads WHERE classified_at IS NOT NULL")}
        per_recipient = self.sink.per_recipient()
        emailed = sum(1 for email in accepted if per_recipient.get(email.lower(), 0) >= 1)
        return len(ids & classified), emailed

    def wait_until_complete(self, accepted: dict[str, str], *, emails: bool = True,
                            stall_seconds: float = 180) -> float:
        """Poll until every accepted lead is classified (and emailed); give up only after
        `stall_seconds` without any progress. Returns the seconds since the last fault (or start)."""
        started = self.last_fault or time.monotonic()
        last, last_change = (-1, -1), time.monotonic()
        self.waiting_on = None
        while True:
            current = self.progress(accepted)
            if current[0] == len(accepted) and (not emails or current[1] == len(accepted)):
                return time.monotonic() - started
            if self.waiting_on is None and time.monotonic() - started > self.NOTE_AFTER_SECONDS:
                self.waiting_on = self.unfinished()
            if current != last:
                last, last_change = current, time.monotonic()
            elif time.monotonic() - last_change > stall_seconds:
                return time.monotonic() - started
            time.sleep(1.0)

    def unfinished(self) -> str:
        """What is not done yet, by state (no personal data): for the report of a slow recovery."""
        try:
            jobs = self.db_rows("SELECT status, COUNT(*) FROM jobs WHERE status <> 'done' GROUP BY 1")
            steps = self.db_rows("SELECT s.status, d.status, d.attempts, COUNT(*) FROM scheduled_steps s "
                                 "LEFT JOIN deliveries d ON d.step_id = s.id WHERE s.step_index = 0 "
                                 "AND s.status <> 'sent' GROUP BY 1, 2, 3")
        except Exception as exc:  # the database may be the thing that is down
            return f"unreadable ({type(exc).__name__})"
        return (f"jobs={dict((str(r[0]), r[1]) for r in jobs)} "
                f"first_steps(step,delivery,attempts)={[tuple(r) for r in steps]}")

    def counts(self, accepted: dict[str, str], recovery_seconds: float | None = None,
               emails: bool = True) -> Counts:
        ids = set(accepted.values())
        stored_rows = self.db_rows("SELECT l.id, COUNT(i.id) FROM leads l JOIN inquiries i ON i.lead_id = l.id "
                                   "GROUP BY l.id")
        inquiries = {row[0]: row[1] for row in stored_rows}
        stored = ids & set(inquiries)
        classified, emailed = self.progress(accepted)
        per_recipient = self.sink.per_recipient()
        extra_messages = sum(max(per_recipient.get(email.lower(), 0) - 1, 0) for email in accepted)
        extra_inquiries = sum(max(inquiries.get(lead_id, 0) - 1, 0) for lead_id in ids)
        not_done = len(ids) - min(classified, emailed if emails else classified)
        return Counts(accepted=len(ids), stored=len(stored), classified=classified, emailed=emailed,
                      duplicates=extra_messages + extra_inquiries, lost=max(len(ids - stored), not_done),
                      recovery_seconds=recovery_seconds, sink_total=self.sink.total())

    def log_leaks(self, values: Iterable[str]) -> list[tuple[str, str]]:
        """(process, line) for every log line that contains one of `values` (case-insensitive)."""
        lowered = [value.lower() for value in values]
        return [(name, line) for name, process in self.processes.items() for line in process.log_lines()
                if any(value in line.lower() for value in lowered)]
