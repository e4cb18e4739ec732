"""Sending speed: N emails the production way (the scheduler's tick claims the due steps and enqueues
send_steps batches; Dramatiq worker threads on the embedded broker claim, render, send over SMTP and
record them) to a local aiosmtpd sink, against raw smtplib sending, on one reused connection to the
same sink in the same run just before, the emails the actor is about to send, rendered the same way
(same sizes: the sink's work grows with the size of a message). The earlier baseline, small ready-made
messages, is measured and printed too. The clock runs from the tick to the last recorded outcome.

Also checks exactly-once at the sink: after the actor run, every batch message is delivered a second
time and the sink must not count a single extra email.
"""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from crm import migrate, runtime
from crm.config import Settings
from crm.db import Database
from crm.intake.service import IntakeRequest, receive_inquiry
from crm.mail.message import MailMessage
from crm.models import Classification, Delivery, Enrolment, Lead, ScheduledStep
from crm.sequences import on_classified
from crm.sequences.content import Sender, build_context, current_classifications
from crm.sequences.definitions import get_sequence
from crm.sequences.rendering import build_message, render
from crm.sequences.sending import rebuild_message
from crm.sequences.unsubscribe import unsubscribe_url
from tests.email.conftest import free_port

COUNTRIES = [("Ireland", "en"), ("France", "fr"), ("Japan", "en"), ("Germany", "en"), ("Belgium", "fr")]


def _sink_count(port: int) -> int:
    with smtplib.SMTP("127.0.0.1", port) as conn:
        conn.ehlo()
        conn.mail("bench@localhost")
        _code, reply = conn.rcpt("count@sink.invalid")
        return int(reply.decode().split()[0])


def _make_leads(db: Database, n: int) -> list[int]:
    now = datetime.now(UTC)
    for start in range(0, n, 250):
        with db.transaction() as session:
            for i in range(start, min(n, start + 250)):
                country, lang = COUNTRIES[i % len(COUNTRIES)]
                fields = {"first_name": f"Lead{i}", "email": f"lead{i}@bench.example", "citizenships": [country],
                          "country_of_residence": country, "age": 20 + i % 15, "preferred_language": lang,
                          "interest": "work"}
                result = receive_inquiry(session, IntakeRequest(body=json.dumps(fields).encode(),
                                                                content_type="application/json", fields=fields), now)
                lead = session.get(Lead, result.lead_id)
                assert lead is not None
                row = Classification(lead_id=lead.id, created_at=now, ruleset_version="bench",
                                     primary_stream="iec-working-holiday", lead_type="worker", score=50, flags=[],
                                     candidates=[{"stream": "iec-working-holiday", "verdict": "eligible",
                                                  "reasons": [], "missing": []}])
                session.add(row)
                session.flush()
                on_classified(session, lead, row, now)
    with db.session() as session:
        return list(session.scalars(select(ScheduledStep.id).where(ScheduledStep.step_index == 0)
                                    .order_by(ScheduledStep.id)))


def _ready_made(n: int, settings: Settings) -> list[MailMessage]:
    """Small ready-made messages (about 1.6 KB: the baseline of the earlier runs)."""
    now = datetime.now(UTC)
    return [build_message(subject=f"Raw message {i}", text="Hello\n" * 40, html="<p>Hello</p>" * 40,
                          mail_from=settings.mail_from, to_name=f"Raw {i}", to_address=f"raw{i}@bench.example",
                          reply_token="ab" * 16, unsubscribe_url="https://x/u/t", now=now) for i in range(n)]


def _rendered_like_the_actor(db: Database, settings: Settings) -> list[MailMessage]:
    """The emails the actor is about to send, rendered the way it renders them (same leads, templates,
    context and composer) without claiming anything: raw smtplib sends the same bytes (up to the
    Message-ID, boundary and token timestamp, of the same lengths), before the actor run."""
    now = datetime.now(UTC)
    sender = Sender.from_settings(settings)
    messages: list[MailMessage] = []
    with db.session() as session:
        rows = session.execute(select(ScheduledStep, Enrolment, Lead)
                               .join(Enrolment, Enrolment.id == ScheduledStep.enrolment_id)
                               .join(Lead, Lead.id == ScheduledStep.lead_id)
                               .where(ScheduledStep.step_index == 0).order_by(ScheduledStep.id)).all()
        classifications = current_classifications(session, [lead.id for _step, _enrolment, lead in rows])
        for step, enrolment, lead in rows:
            sequence = get_sequence(enrolment.sequence)
            assert sequence is not None
            unsub = unsubscribe_url(settings.base_url, settings.secret_key, lead.id)
            context = build_context(lead, classifications.get(lead.id), sequence, enrolment.language, sender,
                                    unsub, now)
            subject, text, html = render(step.template, enrolment.language, context)
            messages.append(build_message(subject=subject, text=text, html=html, mail_from=settings.mail_from,
                                          to_name=lead.full_name, to_address=lead.email,
                                          reply_token=lead.reply_token, unsubscribe_url=unsub, now=now))
    return messages


def _sent_size(db: Database) -> float:
    """The average size of the messages the actor sent (rebuilt from the deliveries)."""
    with db.session() as session:
        found = [len(rebuild_message(delivery).data) for delivery in session.scalars(select(Delivery))]
    return sum(found) / max(1, len(found))


def _raw_smtplib(port: int, messages: list[MailMessage]) -> float:
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for message in messages:
            conn.sendmail(message.sender, message.recipients, message.data)
    return len(messages) / (time.perf_counter() - start)


def _actor(step_ids: list[int], threads: int) -> tuple[float, float]:
    import dramatiq

    import workers.actors  # noqa: F401
    from workers.actors.email import close_transports, due_steps_tick, enqueue_steps, send_steps
    from workers.broker import broker

    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    try:
        start, cpu = time.perf_counter(), time.process_time()
        queued = due_steps_tick()  # what `crm scheduler` does every 5 s: claim due steps, enqueue batches
        broker.join(send_steps.queue_name, fail_fast=True)
        worker.join()
        elapsed, cpu_used = time.perf_counter() - start, time.process_time() - cpu
        if queued != len(step_ids):
            raise RuntimeError(f"the tick queued {queued} steps, expected {len(step_ids)}")
        enqueue_steps(step_ids)  # every batch again: exactly once means the sink counts nothing new
        broker.join(send_steps.queue_name, fail_fast=True)
        worker.join()
    finally:
        worker.stop()
        close_transports()
    return len(step_ids) / elapsed, cpu_used / len(step_ids) * 1000


def _worker_processes(step_ids: list[int], port: int, database_url: str, threads: int, folder: Path) -> float:
    """The production topology: `dramatiq workers.actors -p 2` (what `crm worker` runs) on Redis."""
    import dramatiq
    import redis

    from crm.sequences.scheduling import claim_due_steps
    from workers.actors.email import BATCH_SIZE
    from workers.broker import make_broker

    redis_url = os.environ.get("CRM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    redis.Redis.from_url(redis_url).flushdb()
    broker = make_broker(redis_url)
    env = {**os.environ, "CRM_BROKER_URL": redis_url, "CRM_DATABASE_URL": database_url, "CRM_ENV": "test",
           "CRM_SECRET_KEY": "bench", "CRM_MAIL_URL": f"smtp://127.0.0.1:{port}?starttls=off",
           "CRM_LOG_LEVEL": "WARNING", "dramatiq_prom_host": "127.0.0.1", "dramatiq_prom_port": str(free_port()),
           "dramatiq_prom_lock": str(folder / "prom.lock"), "dramatiq_prom_db": str(folder / "prom")}
    log = (folder / "workers.log").open("ab")
    workers = subprocess.Popen([sys.executable, "-m", "dramatiq", "workers.actors", "-p", "2", "-t", str(threads)],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        before = _sink_count(port)
        time.sleep(5)  # let both processes boot before the clock starts
        start = time.perf_counter()
        with runtime.database().transaction() as session:  # the scheduler's claim, then its batches
            claimed = claim_due_steps(session, datetime.now(UTC))
        if sorted(claimed) != sorted(step_ids):
            raise RuntimeError(f"claimed {len(claimed)} steps, expected {len(step_ids)}")
        for first in range(0, len(claimed), BATCH_SIZE):
            broker.enqueue(dramatiq.Message(queue_name="default", actor_name="send_steps", args=(),
                                            kwargs={"step_ids": claimed[first:first + BATCH_SIZE]}, options={}))
        deadline = time.monotonic() + 900
        while _sink_count(port) - before < len(step_ids):
            if time.monotonic() > deadline or workers.poll() is not None:
                raise RuntimeError(f"the workers did not finish; see {folder / 'workers.log'}")
            time.sleep(0.05)
        return len(step_ids) / (time.perf_counter() - start)
    finally:
        os.killpg(workers.pid, 15)
        workers.wait(timeout=60)
        broker.close()


def run(n: int, threads: int, database_url: str, processes: bool = False) -> None:
    if os.environ.get("CRM_BROKER_URL"):
        raise SystemExit("bench.email send runs the embedded broker: unset CRM_BROKER_URL")
    folder = Path(tempfile.mkdtemp(prefix="bench-email-"))
    url = database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-m", "bench.email.sink", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
        settings = Settings.from_env({"CRM_ENV": "test", "CRM_DATABASE_URL": url, "CRM_SECRET_KEY": "bench",
                                      "CRM_MAIL_URL": f"smtp://127.0.0.1:{port}?starttls=off",
                                      "CRM_BUSINESS_NAME": "Maple Route Immigration",
                                      "CRM_BUSINESS_ADDRESS": "100 King Street West, Toronto ON M5X 1A9",
                                      "CRM_BUSINESS_CONTACT": "+1 416 555 0100",
                                      "CRM_MAIL_FROM": "Maple Route Immigration <hello@maple-route.example>"})
        migrate.upgrade(url)
        db = Database(url)
        runtime.use(settings, db)
        step_ids = _make_leads(db, n)
        small = _ready_made(n, settings)
        raw_small = _raw_smtplib(port, small)
        same = _rendered_like_the_actor(db, settings)
        raw = _raw_smtplib(port, same)
        before = _sink_count(port)
        if processes:
            actor, cpu_ms = _worker_processes(step_ids, port, url, threads, folder), float("nan")
        else:
            actor, cpu_ms = _actor(step_ids, threads)
        sent = _sink_count(port) - before
        sent_size = _sent_size(db)
        backend = db.dialect
        db.dispose()
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    print(f"send: {n} emails to a local aiosmtpd sink (separate process), database {backend}")
    size, small_size = sum(len(m.data) for m in same) / len(same), sum(len(m.data) for m in small) / len(small)
    print(f"  raw smtplib, one reused connection, the {len(same)} emails rendered as the actor renders them"
          f" ({size:,.0f} bytes on average; the actor's: {sent_size:,.0f}): {raw:,.0f} msgs/s")
    print(f"  raw smtplib, one reused connection, small ready-made messages ({small_size:,.0f} bytes):"
          f" {raw_small:,.0f} msgs/s")
    where = f"2 worker processes x {threads} threads on Redis" if processes else f"{threads} worker threads"
    print(f"  scheduler tick + send_steps actor (batches of {_batch_size()}), {where} (claim, render, SMTP, record):"
          f" {actor:,.0f} msgs/s"
          + ("" if processes else f" ({cpu_ms:.1f} ms of CPU per email in the worker process)"))
    print(f"  ratio actor/raw: {actor / raw:.2f}x against the same bytes (target >= 0.6x);"
          f" {actor / raw_small:.2f}x against the small messages")
    twice = "" if processes else ", each batch delivered to the actor twice"
    print(f"  exactly once: {sent} messages at the sink for {n} steps{twice} ({'OK' if sent == n else 'WRONG'})")


def _batch_size() -> int:
    from workers.actors.email import BATCH_SIZE

    return BATCH_SIZE
