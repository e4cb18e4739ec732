"""What the deploy files must agree with: the real `crm` command line and the settings the code reads."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from click.testing import CliRunner

from crm.config import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
ENV_NAME = re.compile(r"\bCRM_[A-Z0-9_]+\b")


def crm_command_error(args: list[str]) -> str | None:
    """None when `crm ARGS` names a real command with valid options, else click's message.

    `--help` is appended: click parses every option first (so a wrong one fails), then prints the
    help instead of running the command.
    """
    from crm.cli import _register, cli

    _register()
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="crm")
    if result.exit_code != 0:
        return f"crm {' '.join(args)}: exit {result.exit_code}: {result.output.strip()}"
    if not result.output.startswith("Usage: crm "):
        return f"crm {' '.join(args)}: unexpected output {result.output[:200]!r}"
    return None


@cache
def env_names_read_by_code() -> frozenset[str]:
    """Every CRM_* name that the code (crm/, workers/) or the gunicorn config reads."""
    names: set[str] = set()
    paths = [*PROJECT_ROOT.joinpath("crm").rglob("*.py"), *PROJECT_ROOT.joinpath("workers").rglob("*.py"),
             DEPLOY / "gunicorn.conf.py"]
    for path in paths:
        names.update(ENV_NAME.findall(path.read_text(encoding="utf-8")))
    return frozenset(names)


def repo_path(relative: str) -> Path:
    return PROJECT_ROOT / relative
