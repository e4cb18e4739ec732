"""The `crm` command. Each feature adds its commands in its own module, registered below."""

from __future__ import annotations

import click
from dotenv import load_dotenv

from crm.config import ConfigError

LONG_RUNNING = frozenset({"run", "web", "worker", "scheduler"})


class CrmGroup(click.Group):
    """The top-level group: an operator's mistake that only shows up once a command touches the database
    (server down, wrong URL, schema never migrated) or the migrations (unknown revision) ends the command
    with one line and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from alembic.util import CommandError
        from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise click.ClickException(f"configuration error: {exc}") from exc
        except CommandError as exc:
            raise click.ClickException(_first_line(exc)) from exc
        except (ArgumentError, NoSuchModuleError) as exc:
            raise click.ClickException(f"CRM_DATABASE_URL is not a usable database URL ({_first_line(exc)}).") from exc
        except DBAPIError as exc:
            if ctx.invoked_subcommand in LONG_RUNNING:
                raise  # a running service's unexpected database error is a bug: keep its traceback
            raise click.ClickException(_database_problem(exc)) from exc


def _first_line(exc: BaseException) -> str:
    from crm.observability.logs import mask_emails

    return mask_emails(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)


def _database_problem(exc: Exception) -> str:
    """What went wrong with the database, from the driver's message. Only its first line, with anything
    shaped like an email address masked: the full message carries the statement's parameters."""
    orig = getattr(exc, "orig", None) or exc
    detail = _first_line(orig)
    lowered = detail.lower()
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered) or \
            "no such column" in lowered or ("column" in lowered and "does not exist" in lowered):
        return (f"the database schema is missing or out of date ({detail}). "
                "Run `crm db upgrade` first.")
    return f"database error: {detail}"


@click.group(cls=CrmGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    cli(prog_name="crm")  # CrmGroup turns a ConfigError into one line
