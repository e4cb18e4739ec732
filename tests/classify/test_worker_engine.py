"""A worker process's engine does not pre-ping its pooled connections; a connection that died while idle
(PostgreSQL restarted) costs a retry, never a lost or doubled classification."""

from __future__ import annotations

from collections.abc import Iterator

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from crm import runtime
from crm.classify.service import settled
from crm.config import Settings
from crm.db import Database
from crm.models import Job, LeadStatus
from tests.classify.helpers import classifications, lead, post_lead
from tests.conftest import RecordingDispatcher
from workers.broker import make_broker
from workers.dispatch import BrokerDispatcher
from workers.middleware import DatabaseSession

POSTGRES = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


def terminate_connections(admin: Database) -> int:
    """Ends every other connection to the test database, as a PostgreSQL restart does."""
    with admin.engine.connect() as conn:
        return len(conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()")).all())


@pytest.fixture
def worker_db(settings: Settings, db: Database) -> Iterator[Database]:
    """The database a worker process builds (no pre-ping), made the process's database for the actors."""
    previous = runtime.database()
    database = Database(settings.database_url, pool_pre_ping=False)
    runtime.use(database_=database)
    yield database
    runtime.use(database_=previous)
    database.dispose()


@POSTGRES
def test_a_worker_process_builds_its_engine_without_pre_ping(settings: Settings) -> None:
    runtime.reset()
    try:
        runtime.use(settings)
        DatabaseSession(pre_ping=False).after_process_boot(object())  # a real broker's worker process
        assert runtime.database().engine.pool._pre_ping is False
    finally:
        runtime.reset()
    try:
        runtime.use(settings)
        DatabaseSession().after_process_boot(StubBroker())  # `crm run`: the web's engine, pre-ping kept
        assert runtime.database().engine.pool._pre_ping is True
    finally:
        runtime.reset()


def test_a_real_brokers_workers_are_configured_without_pre_ping_and_the_embedded_queue_with() -> None:
    def session_middleware(broker: dramatiq.Broker) -> DatabaseSession:
        [middleware] = [m for m in broker.middleware if isinstance(m, DatabaseSession)]
        return middleware

    embedded = make_broker(None)
    real = make_broker("redis://127.0.0.1:6379/15")  # nothing is sent: no connection is made
    try:
        assert session_middleware(embedded).pre_ping is True
        assert session_middleware(real).pre_ping is False
    finally:
        embedded.close()
        real.close()


@POSTGRES
def test_the_probe_after_a_restart_fails_once_then_runs_on_fresh_connections(
        client: FlaskClient, db: Database, worker_db: Database) -> None:
    lead_id = post_lead(client, message="I'd like to work in Vancouver for a year.")
    sessions = [worker_db.session() for _ in range(3)]
    for session in sessions:  # three idle connections in the worker's pool
        session.connection()
    for session in sessions:
        session.close()
    assert terminate_connections(db) >= 3
    with pytest.raises(OperationalError) as raised:
        settled(worker_db.session(), lead_id)
    assert raised.value.connection_invalidated
    for _ in range(3):  # the whole pool was invalidated: every later checkout is a fresh connection
        assert settled(worker_db.session(), lead_id) is None


@POSTGRES
def test_a_message_after_a_restart_is_retried_and_classifies_once(
        client: FlaskClient, db: Database, worker_db: Database, dispatcher: RecordingDispatcher,
        stub_broker: StubBroker, stub_worker: dramatiq.Worker) -> None:
    # Given a worker whose pooled connections died while idle
    first = post_lead(client, message="I'd like to work in Vancouver for a year.")
    BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs)
    stub_broker.join("default", fail_fast=True)
    stub_worker.join()
    second = post_lead(client, email="niamh@example.ie", message="I want a working holiday.")
    dispatcher.jobs = [job for job in dispatcher.jobs if job.lead_id == second]
    assert second != first and len(dispatcher.jobs) == 1
    terminate_connections(db)
    # When the second lead's message is processed
    BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs)
    stub_broker.join("default", fail_fast=True)
    stub_worker.join()
    # Then both leads are classified once, and the job is done
    for lead_id in (first, second):
        assert lead(db, lead_id).status == LeadStatus.CLASSIFIED.value
        assert len(classifications(db, lead_id)) == 1
    with db.session() as session:
        statuses = session.scalars(select(Job.status).where(Job.lead_id == second, Job.kind == "classify_lead"))
        assert statuses.all() == ["done"]
