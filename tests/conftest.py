"""Fixtures: a migrated database per test (SQLite, and PostgreSQL for tests marked or parametrized
with it), the app, a client and the recorded jobs."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crm import create_app, migrate, runtime
from crm.config import Settings
from crm.db import Base, Database
from crm.models import Job
from tests import services

os.environ.setdefault("CRM_ENV", "test")

BASE_ENV = {
    "CRM_ENV": "test",
    "CRM_SECRET_KEY": "test-secret-key-not-for-production",
    "CRM_RATE_LIMIT": "off",
    "CRM_BUSINESS_NAME": "Maple Route Immigration",
    "CRM_BUSINESS_ADDRESS": "100 King Street West, Toronto ON M5X 1A9, Canada",
    "CRM_BUSINESS_CONTACT": "+1 416 555 0100 · hello@maple-route.example",
    "CRM_MAIL_FROM": "Maple Route Immigration <hello@maple-route.example>",
    "CRM_BASE_URL": "http://localhost",
}


class RecordingDispatcher:
    """Keeps the jobs handed to it, in order, so tests can see what would reach the broker."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def dispatch(self, jobs: list[Job]) -> None:
        self.jobs.extend(jobs)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database for this test session, migrated once; emptied before each test."""
    admin_url = make_url(services.postgres_url())
    name = f"crm_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend; parametrize with indirect=True to add "postgres"."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, sqlite_template: Path, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        url = request.getfixturevalue("postgres_database")
        _empty_postgres(url)
        return str(url)
    path = tmp_path / "crm.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    env = dict(BASE_ENV, CRM_DATABASE_URL=database_url, CRM_MAIL_URL=f"file://{tmp_path / 'outbox'}")
    return Settings.from_env(env)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    runtime.use(settings, database)
    yield database
    database.dispose()
    runtime.reset()


@pytest.fixture
def dispatcher() -> RecordingDispatcher:
    return RecordingDispatcher()


@pytest.fixture
def app(settings: Settings, db: Database, dispatcher: RecordingDispatcher) -> Flask:
    app = create_app(settings, database=db, dispatcher=dispatcher)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def make_app(settings: Settings, db: Database, **overrides: Any) -> Flask:
    """An app with some settings changed (a webhook secret, a rate limit, origins)."""
    changed = Settings(**{**settings.__dict__, **overrides})
    app = create_app(changed, database=db, dispatcher=RecordingDispatcher())
    app.config["TESTING"] = True
    return app
