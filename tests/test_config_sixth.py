"""Settings found by a newcomer's trial (sixth session): each failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crm.config import ConfigError, Settings, var_dir

ROOT = Path(__file__).resolve().parent.parent


def test_a_bad_rate_limit_stops_start_up() -> None:
    # Flask-Limiter logged it on every request and enforced no limit at all.
    with pytest.raises(ConfigError, match="CRM_RATE_LIMIT"):
        Settings.from_env({"CRM_RATE_LIMIT": "lots"})
    assert Settings.from_env({"CRM_RATE_LIMIT": "10/second;100/minute"}).rate_limit == "10/second;100/minute"
    assert Settings.from_env({"CRM_RATE_LIMIT": "off"}).rate_limit == "off"
    assert Settings.from_env({"CRM_RATE_LIMIT": ""}).rate_limit == "60/minute"  # blank: the default


def test_the_var_dir_of_the_settings_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"CRM_VAR_DIR": str(tmp_path / "elsewhere")})
    assert settings.database_url == f"sqlite:///{tmp_path / 'elsewhere' / 'crm.sqlite3'}"
    assert settings.mail_url == f"file://{tmp_path / 'elsewhere' / 'outbox'}"
    assert var_dir({}) == ROOT / "var"


def test_crm_var_dir_in_dotenv_counts(tmp_path: Path) -> None:
    """The CLI loads .env after importing crm.config: a CRM_VAR_DIR set there used to be ignored."""
    (tmp_path / ".env").write_text(f"CRM_VAR_DIR={tmp_path / 'from-dotenv'}\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    script = ("import sys; from crm.cli import main; sys.argv = ['crm', 'db', 'upgrade']; main()")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-dotenv" / "crm.sqlite3").exists()
