"""Settings from the environment."""

from __future__ import annotations

import pytest

from crm.config import ConfigError, Settings


def test_production_without_a_secret_key_stops_with_a_clear_message() -> None:
    with pytest.raises(ConfigError, match="CRM_SECRET_KEY is not set"):
        Settings.from_env({"CRM_ENV": "production"})


SENDER = {"CRM_MAIL_FROM": "Maple Route <hello@maple-route.example>", "CRM_BUSINESS_NAME": "Maple Route",
          "CRM_BUSINESS_ADDRESS": "100 King Street West, Toronto ON", "CRM_BUSINESS_CONTACT": "+1 416 555 0100",
          "CRM_BASE_URL": "https://crm.maple-route.example"}


def test_production_with_a_secret_key_and_a_sender_identity_starts() -> None:
    settings = Settings.from_env({"CRM_ENV": "production", "CRM_SECRET_KEY": "k" * 40, **SENDER})
    assert settings.secret_key == "k" * 40
    assert settings.log_format == "json"


def test_production_refuses_a_short_secret_key() -> None:
    with pytest.raises(ConfigError, match="too short"):
        Settings.from_env({"CRM_ENV": "production", "CRM_SECRET_KEY": "x", **SENDER})


@pytest.mark.parametrize("missing", sorted(SENDER))
def test_production_without_the_casl_sender_identity_stops(missing: str) -> None:
    env = {"CRM_ENV": "production", "CRM_SECRET_KEY": "k" * 40, **SENDER}
    del env[missing]
    with pytest.raises(ConfigError, match=missing):
        Settings.from_env(env)


def test_development_defaults_are_the_embedded_ones(tmp_path: pytest.TempPathFactory) -> None:
    settings = Settings.from_env({"CRM_ENV": "development"})
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("var/crm.sqlite3")
    assert settings.broker_url == ""
    assert settings.mail_url.startswith("file://") and settings.mail_url.endswith("var/outbox")
    assert settings.secret_key  # a generated development key
    assert settings.rate_limit == "60/minute"
    assert "CRM_BUSINESS_ADDRESS" in settings.business_address  # a visible placeholder in emails


def test_lists_are_comma_separated() -> None:
    settings = Settings.from_env({"CRM_ALLOWED_ORIGINS": "https://a.example, https://b.example,"})
    assert settings.allowed_origins == ["https://a.example", "https://b.example"]


def test_the_cli_reports_a_configuration_error_without_a_traceback() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", "from crm.cli import main; main()", "db", "check"],
                            env={"CRM_ENV": "production", "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert result.returncode != 0
    assert "CRM_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
