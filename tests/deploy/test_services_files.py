"""systemd units and the nginx example, parsed and checked against the real command line."""

from __future__ import annotations

import configparser
import os
import shlex
from pathlib import Path

import crossplane
import pytest

from tests.deploy.checks import DEPLOY, crm_command_error

UNITS = {"crm-web.service": "web", "crm-worker.service": "worker", "crm-scheduler.service": "scheduler"}


def read_unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=True, interpolation=None, delimiters=("=",))
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "systemd" / name).read_text())
    return unit


@pytest.mark.parametrize(("name", "command"), UNITS.items())
def test_unit_starts_the_real_command(name: str, command: str) -> None:
    service = read_unit(name)["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == "/opt/crm/.venv/bin/crm"
    assert argv[1] == command
    assert crm_command_error(argv[1:]) is None, crm_command_error(argv[1:])


@pytest.mark.parametrize("name", UNITS)
def test_unit_stops_gracefully_and_restarts(name: str) -> None:
    unit = read_unit(name)
    service = unit["Service"]
    assert service["User"] == "crm" and service["Group"] == "crm"
    assert service["KillSignal"] == "SIGTERM"
    # SIGTERM to the main process only (gunicorn's or Dramatiq's master passes it on in order).
    assert service["KillMode"] == "mixed"
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/crm/crm.env"
    assert "CRM_ENV=production" in service["Environment"]
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_web_waits_longer_than_gunicorns_graceful_timeout() -> None:
    assert int(read_unit("crm-web.service")["Service"]["TimeoutStopSec"]) > 30
    assert read_unit("crm-web.service")["Service"]["Type"] == "notify"
    assert int(read_unit("crm-worker.service")["Service"]["TimeoutStopSec"]) >= 60


def _parse_nginx(tmp_path: Path) -> dict:
    main = tmp_path / "nginx.conf"
    main.write_text(f"events {{}}\nhttp {{\n    include {(DEPLOY / 'nginx' / 'crm.conf').resolve()};\n}}\n")
    return crossplane.parse(os.fspath(main), check_ctx=True, check_args=True)


def _find(block: list[dict], directive: str) -> list[dict]:
    found = []
    for item in block:
        if item["directive"] == directive:
            found.append(item)
        found.extend(_find(item.get("block", []), directive))
    return found


def test_nginx_example_parses_in_its_http_context(tmp_path: Path) -> None:
    result = _parse_nginx(tmp_path)
    assert result["status"] == "ok", result["errors"]


def test_nginx_example_proxies_to_gunicorn_and_keeps_metrics_private(tmp_path: Path) -> None:
    config = _parse_nginx(tmp_path)["config"]
    crm = next(item["parsed"] for item in config if item["file"].endswith("crm.conf"))
    upstream = _find(crm, "upstream")[0]
    assert next(d["args"] for d in upstream["block"] if d["directive"] == "server")[0] == "127.0.0.1:8000"
    assert _find(crm, "client_max_body_size")[0]["args"] == ["64k"]
    headers = {tuple(d["args"]) for d in _find(crm, "proxy_set_header")}
    assert ("X-Forwarded-For", "$remote_addr") in headers, "one trusted hop: CRM_TRUSTED_PROXIES=1"
    assert ("X-Request-ID", "$request_id") in headers
    metrics = next(d for d in _find(crm, "location") if d["args"] == ["=", "/metrics"])
    assert ["all"] in [d["args"] for d in metrics["block"] if d["directive"] == "deny"]
    log_format = _find(crm, "log_format")[0]
    assert "$request_uri" not in " ".join(log_format["args"]) and "$args" not in " ".join(log_format["args"])
