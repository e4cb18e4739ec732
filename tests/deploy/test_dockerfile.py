"""deploy/Dockerfile, read with dockerfile-parse (no Docker engine here)."""

from __future__ import annotations

import fnmatch
import json
import tomllib

import pytest
from dockerfile_parse import DockerfileParser

from crm.config import PROJECT_ROOT
from tests.deploy.checks import DEPLOY, crm_command_error, env_names_read_by_code

DOCKERFILE = DEPLOY / "Dockerfile"
# What the code reads next to the package at run time (PROJECT_ROOT-relative).
RUNTIME_FILES = ("crm", "workers", "migrations", "templates", "alembic.ini", "deploy/gunicorn.conf.py")


@pytest.fixture(scope="module")
def parser() -> DockerfileParser:
    return DockerfileParser(path=str(DOCKERFILE))


def instructions(parser: DockerfileParser, name: str) -> list[str]:
    return [item["value"] for item in parser.structure if item["instruction"] == name]


def test_base_image_matches_the_python_the_project_requires(parser: DockerfileParser) -> None:
    requires = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11"
    assert parser.baseimage.startswith("python:3.11")
    assert len(instructions(parser, "FROM")) == 1


def test_it_runs_as_an_unprivileged_user(parser: DockerfileParser) -> None:
    users = instructions(parser, "USER")
    assert users, "no USER: the processes would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    kinds = [item["instruction"] for item in parser.structure]
    last_user = len(kinds) - 1 - kinds[::-1].index("USER")
    assert "RUN" not in kinds[last_user:], "build steps after USER would undo it or need root"
    assert any("useradd" in run and "crm" in run for run in instructions(parser, "RUN"))


def test_it_exposes_the_port_the_web_process_binds(parser: DockerfileParser) -> None:
    assert instructions(parser, "EXPOSE") == ["8000"]
    assert parser.envs["CRM_BIND"] == "0.0.0.0:8000"


def test_entrypoint_and_default_command_are_real_crm_commands(parser: DockerfileParser) -> None:
    entrypoint = json.loads(instructions(parser, "ENTRYPOINT")[-1])
    command = json.loads(instructions(parser, "CMD")[-1])
    assert entrypoint == ["crm"], "exec form: crm (and the process it execs) gets the stop signal"
    assert crm_command_error(command) is None, crm_command_error(command)
    for other in (["worker"], ["scheduler"], ["db", "upgrade"]):
        assert crm_command_error(other) is None
    assert instructions(parser, "STOPSIGNAL") == ["SIGTERM"]


def test_production_defaults(parser: DockerfileParser) -> None:
    envs = parser.envs
    assert envs["CRM_ENV"] == "production" and envs["CRM_LOG_FORMAT"] == "json"
    crm_names = {name for name in envs if name.startswith("CRM_")}
    assert crm_names <= env_names_read_by_code() | {"CRM_VAR_DIR"}
    assert "CRM_SECRET_KEY" not in envs, "secrets come from the environment at run time, not the image"


def test_it_copies_everything_the_code_reads_at_run_time(parser: DockerfileParser) -> None:
    sources: set[str] = set()
    for value in instructions(parser, "COPY"):
        parts = value.split()
        assert not any(part.startswith("--from") for part in parts)
        for source in parts[:-1]:
            assert (PROJECT_ROOT / source).exists(), f"COPY {source}: no such file in the repository"
            sources.add(source.rstrip("/"))
    missing = [path for path in RUNTIME_FILES if path not in sources]
    assert not missing, f"the image would lack {missing}"


def test_the_ignore_file_keeps_secrets_out_and_copied_sources_in(parser: DockerfileParser) -> None:
    patterns = [line.strip() for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert {".env", ".git", ".venv", "var"} <= set(patterns)
    for value in instructions(parser, "COPY"):
        for source in value.split()[:-1]:
            assert not any(fnmatch.fnmatch(source, pattern) for pattern in patterns), source


def test_editable_install_keeps_templates_beside_the_package(parser: DockerfileParser) -> None:
    runs = " ".join(instructions(parser, "RUN"))
    assert "pip install --no-deps -e ." in runs
    assert instructions(parser, "WORKDIR") == ["/app"]
