"""`crm db upgrade` and `crm db check`."""

from __future__ import annotations

import click

from crm import migrate, runtime


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Apply the migrations up to REVISION."""
    url = runtime.settings().database_url
    click.echo(f"Migrating {_safe(url)} to {revision} ...")
    migrate.upgrade(url, revision)
    click.echo("Database is up to date.")


@db_group.command("check")
def check() -> None:
    """Fail if the models and the migrations disagree."""
    migrate.check(runtime.settings().database_url)
    click.echo("Models and migrations agree.")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


COMMANDS: list[click.Command] = [db_group]
