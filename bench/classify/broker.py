"""classify_lead through the real broker (Redis + PostgreSQL) against a no-op actor, and a SIGKILL run.

Drain rate: N messages are enqueued while no worker runs; then `dramatiq workers.actors
bench.classify.noop -p 2 -t 8` starts and the broker's un-acknowledged message count is polled. The
clock starts at the first acknowledgement (process start-up is excluded) and stops when none is left.
The no-op actor is measured the same way, in the same run, on the same broker and worker settings.

Kill run: N leads are enqueued, the worker group is SIGKILLed when about half are classified, then
restarted; the sweep (what the scheduler runs every 30 s) re-sends what the dead worker had taken.
Every lead must end up classified exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import dramatiq
import psycopg
import redis
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from crm import migrate
from crm.classify.sweep import sweep_overdue
from crm.config import PROJECT_ROOT
from crm.db import Database, new_id, utcnow
from crm.models import Classification, Inquiry, Job, Lead, LeadStatus
from tests.classify.corpus import load_corpus
from workers.broker import make_broker
from workers.dispatch import message_kwargs

ADMIN_URL = os.environ.get("CRM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CRM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
NAMESPACE = "dramatiq"


def create_database() -> str:
    name = f"crm_bench_classify_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    return url


def drop_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def insert_leads(db: Database, n: int, tag: str) -> list[str]:
    """N received leads built from the test corpus, each with an inquiry and a pending classify job."""
    _today, specs = load_corpus()
    now = utcnow()
    ids: list[str] = []
    leads: list[dict[str, Any]] = []
    inquiries: list[dict[str, Any]] = []
    jobs: list[dict[str, Any]] = []
    for i in range(n):
        spec = specs[i % len(specs)]["input"]
        if spec.get("is_spam"):
            spec = specs[0]["input"]
        lead_id = new_id()
        ids.append(lead_id)
        email = f"{tag}{i}@bench.example"
        messages = spec.get("messages") or []
        leads.append({"id": lead_id, "email": email, "email_key": email, "first_name": "Bench",
                      "citizenships": list(spec.get("citizenships") or []), "unknown_countries": [],
                      "country_of_residence": spec.get("country_of_residence"),
                      "date_of_birth": spec.get("date_of_birth"), "stated_age": spec.get("stated_age"),
                      "stated_age_on": spec.get("stated_age_on"), "preferred_language": spec.get("language", "en"),
                      "facts": dict(spec.get("facts") or {}), "status": LeadStatus.RECEIVED.value,
                      "status_changed_at": now, "first_inquiry_at": now, "last_inquiry_at": now, "created_at": now,
                      "updated_at": now, "score": 0, "notes_count": 0, "search_text": email,
                      "reply_token": uuid.uuid4().hex})
        inquiries.append({"id": new_id(), "lead_id": lead_id, "received_at": now, "raw_body": b"{}",
                          "content_type": "application/json", "headers": {}, "payload": {},
                          "normalised": {"message": messages[0]} if messages else {}, "request_hash": "0" * 64,
                          "language": spec.get("language", "en"), "is_spam": False})
        jobs.append({"kind": "classify_lead", "lead_id": lead_id, "args": {"lead_id": lead_id, "trigger": "intake"},
                     "status": "pending", "attempts": 0, "created_at": now, "enqueued_at": now})
    with db.transaction() as session:
        for start in range(0, n, 2000):
            session.execute(insert(Lead), leads[start:start + 2000])
            session.execute(insert(Inquiry), inquiries[start:start + 2000])
            session.execute(insert(Job), jobs[start:start + 2000])
    return ids


class MessageDispatcher:
    """Sends jobs as raw messages: this process only produces, it does not declare the actors."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker

    def dispatch(self, jobs: list[Job]) -> None:
        for job in jobs:
            self.broker.enqueue(dramatiq.Message(queue_name="default", actor_name=job.kind, args=(),
                                                 kwargs=message_kwargs(job), options={}))


def recorded_jobs(db: Database) -> list[Job]:
    """The jobs insert_leads recorded, in the order intake would have sent their messages."""
    with db.session() as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


def enqueue(broker: dramatiq.Broker, actor_name: str, queue: str, jobs: list[Job]) -> None:
    """One message per job, with the arguments the real dispatcher sends (workers/dispatch.py)."""
    broker.declare_queue(queue)
    for job in jobs:
        broker.enqueue(dramatiq.Message(queue_name=queue, actor_name=actor_name, args=(),
                                        kwargs=message_kwargs(job), options={}))


def start_workers(database_url: str, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CRM_BROKER_URL": REDIS_URL, "CRM_DATABASE_URL": database_url, "CRM_ENV": "test",
           "CRM_SECRET_KEY": "bench-secret", "CRM_LOG_LEVEL": "WARNING"}
    log = log_path.open("ab")
    return subprocess.Popen([sys.executable, "-m", "dramatiq", "workers.actors", "bench.classify.noop",
                             "-p", "2", "-t", "8"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop_workers(process: subprocess.Popen[bytes], kill: bool = False) -> None:
    os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def outstanding(client: redis.Redis, queue: str) -> int:
    """Messages enqueued and not yet acknowledged (Dramatiq's Redis broker keeps them in a hash)."""
    return int(client.hlen(f"{NAMESPACE}:{queue}.msgs"))


def measure_drain(client: redis.Redis, queue: str, n: int, database_url: str, log_path: Path,
                  limit_seconds: float = 900) -> float:
    process = start_workers(database_url, log_path)
    try:
        deadline = time.monotonic() + limit_seconds
        while outstanding(client, queue) >= n:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"workers did not start; see {log_path}")
            time.sleep(0.005)
        started, left = time.monotonic(), outstanding(client, queue)
        while outstanding(client, queue) > 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"queue {queue} did not drain; see {log_path}")
            time.sleep(0.01)
        return left / (time.monotonic() - started)
    finally:
        stop_workers(process)


def classified_counts(db: Database, lead_ids: list[str]) -> tuple[int, int, int]:
    """(leads classified, classification rows, leads classified more than once)."""
    with db.session() as session:
        done = session.scalar(select(func.count()).select_from(Lead).where(
            Lead.status == LeadStatus.CLASSIFIED.value)) or 0  # the bench database holds only these leads
        rows = session.scalar(select(func.count()).select_from(Classification)) or 0
        twice = session.scalar(select(func.count()).select_from(
            select(Classification.lead_id).group_by(Classification.lead_id)
            .having(func.count() > 1).subquery())) or 0
    return done, rows, twice


def run_drain(n: int, log_path: Path) -> dict[str, float]:
    url = create_database()
    db = Database(url)
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    broker = make_broker(REDIS_URL)
    try:
        lead_ids = insert_leads(db, n, "drain")
        jobs = recorded_jobs(db)
        enqueue(broker, "bench_noop", "bench_noop", jobs)
        noop = measure_drain(client, "bench_noop", n, url, log_path)
        enqueue(broker, "classify_lead", "default", jobs)
        rate = measure_drain(client, "default", n, url, log_path)
        done, rows, twice = classified_counts(db, lead_ids)
        print(f"broker drain, Redis + PostgreSQL, 2 processes x 8 threads, {n:,} messages: "
              f"no-op {noop:,.0f} msg/s, classify_lead {rate:,.0f} msg/s = {rate / noop:.2f}x of no-op; "
              f"{done:,} leads classified, {rows:,} classification rows, {twice} classified twice")
        return {"noop_msg_per_s": noop, "classify_msg_per_s": rate, "ratio": rate / noop, "classified": done,
                "rows": rows, "twice": twice}
    finally:
        broker.close()
        db.dispose()
        drop_database(url)


def run_kill(n: int, log_path: Path, sweep_after_seconds: float = 15.0) -> dict[str, float]:
    url = create_database()
    db = Database(url)
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    broker = make_broker(REDIS_URL)
    try:
        lead_ids = insert_leads(db, n, "kill")
        enqueue(broker, "classify_lead", "default", recorded_jobs(db))
        process = start_workers(url, log_path)
        while classified_counts(db, lead_ids)[0] < n // 2:
            time.sleep(0.05)
        stop_workers(process, kill=True)
        at_kill = classified_counts(db, lead_ids)[0]
        process = start_workers(url, log_path)
        restarted = time.monotonic()
        resent = 0
        try:
            while classified_counts(db, lead_ids)[0] < n:
                # What the scheduler's sweep does every 30 s (here with a short threshold and period).
                time.sleep(2)
                report = sweep_overdue(db, MessageDispatcher(broker), older_than=timedelta(seconds=sweep_after_seconds))
                resent += report.resent + report.recorded
                if time.monotonic() - restarted > 600:
                    raise RuntimeError(f"not every lead was classified; see {log_path}")
            recovery = time.monotonic() - restarted
        finally:
            stop_workers(process)
        done, rows, twice = classified_counts(db, lead_ids)
        print(f"SIGKILL run, {n:,} leads: killed at {at_kill:,} classified; after the restart every lead was "
              f"classified in {recovery:.1f} s (sweep threshold {sweep_after_seconds:.0f} s, {resent:,} job(s) "
              f"re-sent); {rows:,} classification rows for {done:,} leads, {twice} classified twice")
        return {"killed_at": at_kill, "recovery_s": recovery, "resent": resent, "classified": done, "rows": rows,
                "twice": twice}
    finally:
        broker.close()
        db.dispose()
        drop_database(url)
