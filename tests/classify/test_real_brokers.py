"""A real `dramatiq workers.actors` process on Redis and on RabbitMQ classifies leads stored in PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dramatiq
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from crm.config import PROJECT_ROOT
from crm.db import Database
from crm.models import Classification, Lead, LeadStatus
from tests import services
from tests.classify.helpers import post_lead
from tests.conftest import BASE_ENV, RecordingDispatcher
from workers.broker import make_broker


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.redis),
                        pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)])
def broker_url(request: pytest.FixtureRequest) -> str:
    return services.redis_url() if request.param == "redis" else services.rabbitmq_url()


@pytest.fixture
def worker_process(broker_url: str, database_url: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, **BASE_ENV, "CRM_BROKER_URL": broker_url, "CRM_DATABASE_URL": database_url,
           "CRM_MAIL_URL": f"file://{tmp_path / 'outbox'}"}
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "dramatiq", "workers.actors", "-p", "1", "-t", "2"],
                               cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_real_worker_classifies_posted_leads(client: FlaskClient, db: Database, dispatcher: RecordingDispatcher,
                                                broker_url: str, worker_process: subprocess.Popen[bytes],
                                                tmp_path: Path) -> None:
    # Given leads posted to intake, their jobs sent through the real broker
    countries = ["Ireland", "Japan", "United States", "Uruguay", "Finland"]
    lead_ids = [post_lead(client, email=f"lead{n}@example.org", citizenships=[country])
                for n, country in enumerate(countries)]
    broker = make_broker(broker_url)
    try:
        broker.declare_queue("default")
        for job in dispatcher.jobs:
            broker.enqueue(dramatiq.Message(queue_name="default", actor_name=job.kind, args=(), kwargs=job.args,
                                            options={}))
    finally:
        broker.close()

    # When the worker process consumes them (bounded wait; nothing asserts on time)
    def classified() -> int:
        with db.session() as session:
            return session.scalar(select(func.count()).select_from(Lead).where(
                Lead.id.in_(lead_ids), Lead.status == LeadStatus.CLASSIFIED.value)) or 0

    deadline = time.monotonic() + 120
    while classified() < len(lead_ids):
        assert worker_process.poll() is None, (tmp_path / "worker.log").read_text(errors="replace")
        assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text(errors="replace")
        time.sleep(0.2)

    # Then every lead has exactly one classification, with the expected primary streams
    with db.session() as session:
        rows = session.execute(select(Lead.id, Lead.primary_stream).where(Lead.id.in_(lead_ids))).all()
        counts = session.execute(select(Classification.lead_id, func.count()).where(
            Classification.lead_id.in_(lead_ids)).group_by(Classification.lead_id)).all()
    streams = dict(rows)
    assert [streams[lead_id] for lead_id in lead_ids] == [
        "iec-working-holiday", "iec-working-holiday", "iec-recognized-organization", "needs-review",
        "iec-working-holiday"]
    assert sorted(count for _, count in counts) == [1] * len(lead_ids)
