"""deploy/gunicorn.conf.py: the settings `crm web` runs with, read by gunicorn itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from gunicorn.config import Config

from tests.deploy.checks import DEPLOY

CONF = DEPLOY / "gunicorn.conf.py"


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> Config:
    for name in ("CRM_BIND", "CRM_WEB_WORKERS", "CRM_LOG_FORMAT", "CRM_ENV", "CRM_WEB_MAX_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace: dict[str, object] = {"__file__": str(CONF)}
    exec(compile(CONF.read_text(), str(CONF), "exec"), namespace)
    config = Config()
    for key, value in namespace.items():
        if key in config.settings:
            config.set(key, value)
    return config


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load(monkeypatch)
    assert config.bind == ["127.0.0.1:8000"]
    assert config.workers == 2
    assert config.worker_class_str == "sync"
    assert config.graceful_timeout >= 10
    assert config.max_requests > 0 and 0 < config.max_requests_jitter < config.max_requests


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load(monkeypatch, CRM_BIND="0.0.0.0:9000", CRM_WEB_WORKERS="5")
    assert config.bind == ["0.0.0.0:9000"]
    assert config.workers == 5


def test_access_log_has_no_query_string_or_client_details(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load(monkeypatch)
    fmt = config.access_log_format
    assert "%(U)s" in fmt  # the path without its query string
    for atom in ("%(q)s", "%(r)s", "%(h)s", "%(a)s", "%(f)s", "%(u)s"):
        assert atom not in fmt, f"{atom} would log the query string or client details"
    assert "%({x-request-id}o)s" in fmt


def test_production_logs_are_json(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load(monkeypatch, CRM_ENV="production")
    formatter = config.logconfig_dict["formatters"]["crm"]["()"]
    assert formatter.__name__ == "SafeJsonFormatter"


def test_gunicorn_accepts_the_file(tmp_path: Path) -> None:
    env = {"CRM_ENV": "test", "CRM_SECRET_KEY": "x", "CRM_DATABASE_URL": f"sqlite:///{tmp_path / 'crm.sqlite3'}",
           "CRM_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "gunicorn", "--check-config", "-c", str(CONF), "crm.wsgi:app"],
                            capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
