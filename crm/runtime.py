"""The process's shared resources, created on first use: settings and the database engine.

Only entry points use this (the app factory, the workers' middleware, the CLI); domain code is
always handed a session.
"""

from __future__ import annotations

import threading
from typing import Any

from crm.config import Settings
from crm.db import Database

_lock = threading.Lock()
_settings: Settings | None = None
_database: Database | None = None
_engine_options: dict[str, Any] = {}


def settings() -> Settings:
    global _settings
    with _lock:
        if _settings is None:
            _settings = Settings.from_env()
        return _settings


def database() -> Database:
    global _database
    current = settings()
    with _lock:
        if _database is None:
            _database = Database(current.database_url, **_engine_options)
        return _database


def configure_engine(**options: Any) -> None:
    """Engine options for the database this process creates on first use (a worker process turns the
    pool's pre-ping off); no effect on a database already created or given to `use`."""
    with _lock:
        _engine_options.update(options)


def use(settings_: Settings | None = None, database_: Database | None = None) -> None:
    """Make these the process's settings and database (tests, and `crm run` sharing one engine)."""
    global _settings, _database
    with _lock:
        if settings_ is not None:
            _settings = settings_
        if database_ is not None:
            _database = database_


def reset() -> None:
    global _settings, _database
    with _lock:
        if _database is not None:
            _database.dispose()
        _settings, _database = None, None
        _engine_options.clear()
