"""The `crm` command. Each feature adds its commands in its own module, registered below."""

from __future__ import annotations

import click
from dotenv import load_dotenv

from crm.config import ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """IMP Lead CRM: intake, classification, email sequences and the consultant workspace."""


def _register() -> None:
    from crm.cli import db, serve

    for module in (db, serve):
        for command in module.COMMANDS:
            cli.add_command(command)
    from crm.cli import extra

    for command in extra.commands():
        cli.add_command(command)


def main() -> None:
    load_dotenv()
    _register()
    try:
        cli(prog_name="crm")
    except ConfigError as exc:
        raise SystemExit(f"crm: configuration error: {exc}") from exc
