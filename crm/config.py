"""Settings read from the environment (and `.env`, loaded by the CLI and the WSGI entry point)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def var_dir(environ: Mapping[str, str] | None = None) -> Path:
    """CRM_VAR_DIR, else var/ in the project. Read when needed, not at import: the CLI loads `.env` after
    importing this module, and a CRM_VAR_DIR set there must count."""
    env = os.environ if environ is None else environ
    return Path(env.get("CRM_VAR_DIR") or PROJECT_ROOT / "var")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; start-up must stop with this message."""


def _list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


@dataclass
class Settings:
    env: str = "development"
    database_url: str = ""
    broker_url: str = ""
    mail_url: str = ""
    secret_key: str = ""
    webhook_secret: str = ""
    base_url: str = "http://127.0.0.1:5000"
    rate_limit: str = "60/minute"
    rate_limit_storage: str = "memory://"
    allowed_origins: list[str] = field(default_factory=list)
    trusted_proxies: int = 0
    mail_from: str = "IMP Lead CRM <no-reply@localhost>"
    business_name: str = "Your Immigration Consultancy"
    business_address: str = ""
    business_contact: str = ""
    licence_number: str = ""
    log_format: str = "text"
    # The workspace shows dates and times in this zone (IANA name); the database keeps UTC.
    timezone: str = "America/Toronto"

    def __post_init__(self) -> None:
        # An origin is scheme://host[:port]: "https://www.maple.example/" as written in a setting is that.
        self.allowed_origins = [origin.strip().rstrip("/") for origin in self.allowed_origins if origin.strip()]

    @classmethod
    def from_env(cls, environ: dict[str, str] | os._Environ[str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        var = var_dir(env)
        settings = cls(
            env=env.get("CRM_ENV", "development"),
            database_url=env.get("CRM_DATABASE_URL", "") or f"sqlite:///{var / 'crm.sqlite3'}",
            broker_url=env.get("CRM_BROKER_URL", ""),
            mail_url=env.get("CRM_MAIL_URL", "") or f"file://{var / 'outbox'}",
            secret_key=env.get("CRM_SECRET_KEY", ""),
            webhook_secret=env.get("CRM_WEBHOOK_SECRET", ""),
            base_url=(env.get("CRM_BASE_URL") or ("http://127.0.0.1:5000" if _is_dev(env) else "")).rstrip("/"),
            rate_limit=env.get("CRM_RATE_LIMIT") or "60/minute",
            rate_limit_storage=env.get("CRM_RATE_LIMIT_STORAGE", "memory://"),
            allowed_origins=_list(env.get("CRM_ALLOWED_ORIGINS")),
            trusted_proxies=int(env.get("CRM_TRUSTED_PROXIES", "0") or 0),
            mail_from=env.get("CRM_MAIL_FROM", "") or cls.mail_from,
            business_name=env.get("CRM_BUSINESS_NAME", "") or cls.business_name,
            business_address=env.get("CRM_BUSINESS_ADDRESS", "")
            or ("Set CRM_BUSINESS_ADDRESS (mailing address)" if _is_dev(env) else ""),
            business_contact=env.get("CRM_BUSINESS_CONTACT", "")
            or ("Set CRM_BUSINESS_CONTACT (phone, email or web address)" if _is_dev(env) else ""),
            licence_number=env.get("CRM_LICENCE_NUMBER", ""),
            log_format=env.get("CRM_LOG_FORMAT") or ("json" if env.get("CRM_ENV") == "production" else "text"),
            timezone=(env.get("CRM_TIMEZONE") or "").strip() or cls.timezone,
        )
        settings.validate()
        return settings

    @property
    def is_development(self) -> bool:
        return self.env in {"development", "test"}

    def validate(self) -> None:
        if self.rate_limit.strip().lower() != "off":
            from limits import parse_many

            try:
                parse_many(self.rate_limit)
            except ValueError:
                # Flask-Limiter would log the bad string on every request and enforce no limit at all.
                raise ConfigError(f"CRM_RATE_LIMIT {self.rate_limit!r} is not a rate: write it like 60/minute "
                                  "or 1000 per hour (several separated by ';'), or off.") from None
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"CRM_TIMEZONE {self.timezone!r} is not a time zone: use an IANA name such as "
                              "America/Toronto, America/Vancouver or Europe/Paris.") from None
        if not self.secret_key:
            if not self.is_development:
                raise ConfigError(
                    "CRM_SECRET_KEY is not set. Set it in the environment or in .env "
                    '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))").'
                )
            # Development only: a per-process random key, so sessions and tokens reset on restart.
            self.secret_key = _development_secret()
        if not self.is_development and len(self.secret_key) < 32:
            raise ConfigError("CRM_SECRET_KEY is too short: use at least 32 random characters.")
        if not self.is_development and not self.base_url:
            raise ConfigError("CRM_BASE_URL is not set: emails link to it (unsubscribe links must work for 60 "
                              "days under Canada's anti-spam law). Set it to this CRM's public address.")
        if not self.is_development:
            # CASL: every commercial email must identify the sender with a mailing address and a contact.
            missing = [name for name, value in (
                ("CRM_MAIL_FROM", self.mail_from != Settings.mail_from),
                ("CRM_BUSINESS_NAME", self.business_name != Settings.business_name),
                ("CRM_BUSINESS_ADDRESS", self.business_address),
                ("CRM_BUSINESS_CONTACT", self.business_contact),
            ) if not value]
            if missing:
                raise ConfigError(
                    f"{', '.join(missing)} not set: every email must name the business, its mailing address "
                    "and a contact (Canada's anti-spam law). Set them in the environment or in .env."
                )

    def as_flask_config(self) -> dict[str, object]:
        return {f"CRM_{f.name.upper()}": getattr(self, f.name) for f in fields(self)}


def _is_dev(env: object) -> bool:
    return env.get("CRM_ENV", "development") in {"development", "test"}  # type: ignore[attr-defined]


def _development_secret() -> str:
    """A key kept under var/ so that a development server's links survive a restart."""
    path = var_dir() / "dev-secret-key"
    try:
        return path.read_text().strip()
    except OSError:
        key = secrets.token_urlsafe(48)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(key)
        except OSError:
            pass
        return key

