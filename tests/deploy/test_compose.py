"""deploy/docker-compose.yml, read with a YAML parser (no Docker engine here) and checked against the code."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from crm.config import Settings
from tests.deploy.checks import DEPLOY, crm_command_error, env_names_read_by_code, repo_path

COMPOSE = DEPLOY / "docker-compose.yml"
APP_SERVICES = ("migrate", "web", "worker", "scheduler")
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")
REQUIRED_VALUES = {"POSTGRES_PASSWORD": "pg-secret", "CRM_SECRET_KEY": "k" * 48,
                   "CRM_MAIL_URL": "smtp://mail.example.com:587",
                   "CRM_MAIL_FROM": "Maple Route <hello@example.com>", "CRM_BUSINESS_NAME": "Maple Route",
                   "CRM_BUSINESS_ADDRESS": "100 King St W, Toronto", "CRM_BUSINESS_CONTACT": "+1 416 555 0100",
                   "CRM_BASE_URL": "https://crm.example.com"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def interpolate(value: object) -> str:
    """Compose's ${NAME:-default} and ${NAME:?error}, with the operator's values from REQUIRED_VALUES."""
    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        if name in REQUIRED_VALUES:
            return REQUIRED_VALUES[name]
        assert op == ":-", f"${{{name}}} has neither a default nor a required-value message"
        return arg
    return INTERPOLATION.sub(replace, str(value))


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "environment must be a mapping"
    return {key: interpolate(value) for key, value in env.items()}


def test_it_has_the_production_topology(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"postgres", "redis", *APP_SERVICES}
    assert compose["services"]["postgres"]["image"].startswith("postgres:")
    assert compose["services"]["redis"]["image"].startswith("redis:")
    assert set(compose["volumes"]) >= {"pgdata", "redisdata"}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_one_image_built_from_the_dockerfile(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    context = (DEPLOY / service["build"]["context"]).resolve()
    assert (context / service["build"]["dockerfile"]).is_file()
    images = {compose["services"][other]["image"] for other in APP_SERVICES}
    assert len(images) == 1


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_command_is_a_real_crm_command(compose: dict[str, Any], name: str) -> None:
    command = compose["services"][name]["command"]
    assert isinstance(command, list), "exec form, so that the process gets SIGTERM directly"
    assert crm_command_error(command) is None, crm_command_error(command)


def test_commands_cover_each_process_once(compose: dict[str, Any]) -> None:
    firsts = [tuple(compose["services"][name]["command"][:2]) for name in APP_SERVICES]
    assert sorted(first[0] for first in firsts) == ["db", "scheduler", "web", "worker"]
    assert ("db", "upgrade") in firsts


@pytest.mark.parametrize("name", APP_SERVICES)
def test_environment_names_are_read_by_the_code(compose: dict[str, Any], name: str) -> None:
    unknown = set(environment(compose["services"][name])) - env_names_read_by_code()
    assert not unknown, f"{name} sets variables that nothing reads: {sorted(unknown)}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_environment_makes_valid_production_settings(compose: dict[str, Any], name: str) -> None:
    env = environment(compose["services"][name])
    settings = Settings.from_env(env)
    assert settings.env == "production" and settings.log_format == "json"
    database = make_url(settings.database_url)
    postgres = compose["services"]["postgres"]["environment"]
    assert database.get_backend_name() == "postgresql"
    assert (database.host, database.database, database.username) == ("postgres", postgres["POSTGRES_DB"],
                                                                      postgres["POSTGRES_USER"])
    assert database.password == REQUIRED_VALUES["POSTGRES_PASSWORD"]
    assert settings.broker_url.startswith("redis://redis:")
    assert settings.rate_limit_storage.startswith("redis://redis:"), "the limit must hold across web processes"
    assert settings.secret_key == REQUIRED_VALUES["CRM_SECRET_KEY"]


def test_secrets_have_no_defaults(compose: dict[str, Any]) -> None:
    text = COMPOSE.read_text()
    for name in ("CRM_SECRET_KEY", "POSTGRES_PASSWORD", "CRM_MAIL_URL"):
        uses = [m for m in INTERPOLATION.finditer(text) if m["name"] == name]
        assert uses and all(m["op"] == ":?" for m in uses), f"{name} must be required, never defaulted"


def test_start_order_migrates_first(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "scheduler"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
        assert services[name]["restart"] == "unless-stopped"
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]


def test_web_port_matches_the_bind_address_and_the_image(compose: dict[str, Any]) -> None:
    web = compose["services"]["web"]
    bind_port = environment(web)["CRM_BIND"].rsplit(":", 1)[1]
    container_ports = {str(mapping).rsplit(":", 1)[1] for mapping in web["ports"]}
    assert container_ports == {bind_port}
    assert f"EXPOSE {bind_port}" in repo_path("deploy/Dockerfile").read_text()
    assert "/readyz" in " ".join(web["healthcheck"]["test"])


def _seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)s", value)
    assert match, value
    return int(match[1])


def test_stop_grace_periods_cover_graceful_shutdown(compose: dict[str, Any]) -> None:
    services = compose["services"]
    # gunicorn's graceful_timeout is 30 s: docker must wait longer before SIGKILL.
    assert _seconds(services["web"]["stop_grace_period"]) > 30
    assert _seconds(services["worker"]["stop_grace_period"]) >= 60
    assert _seconds(services["scheduler"]["stop_grace_period"]) >= 10
