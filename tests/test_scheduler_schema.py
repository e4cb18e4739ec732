"""`crm scheduler` started before the migration (a deploy whose `crm db upgrade` runs beside it) says the
schema is missing and waits for it, instead of reporting a database it can in fact reach."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm import runtime
from crm.config import Settings
from crm.db import Database
from tests import services
from tests.conftest import BASE_ENV
from workers.scheduler import run_scheduler


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    with services.scratch_postgres_database(f"crm_empty_{uuid.uuid4().hex[:8]}") as url:
        yield url


def test_the_scheduler_on_a_database_without_schema_says_to_migrate(
        empty_database: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.from_env(dict(BASE_ENV, CRM_DATABASE_URL=empty_database,
                                      CRM_MAIL_URL=f"file://{tmp_path / 'outbox'}"))
    database = Database(empty_database)
    runtime.use(settings, database)
    stop = threading.Event()
    thread = threading.Thread(target=run_scheduler, args=(stop, 0.05))
    try:
        with caplog.at_level(logging.WARNING, logger="workers.scheduler"):
            thread.start()
            # Until it has said so twice (so it kept running), or said something else, or stopped.
            while (caplog.text.count("no schema yet") < 2 and "cannot reach" not in caplog.text
                   and thread.is_alive()):
                time.sleep(0.05)
            running = thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)
        database.dispose()
        runtime.reset()
    assert running and not thread.is_alive()  # it kept running (no crash) until told to stop
    assert "the database has no schema yet (run `crm db upgrade`)" in caplog.text
    assert "cannot reach the database" not in caplog.text
