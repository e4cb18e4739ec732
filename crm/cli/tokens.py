"""`crm tokens create --user EMAIL`: prints a new API token alone on the last line."""

from __future__ import annotations

import click

from crm import runtime
from crm.workspace import WorkspaceError, accounts


@click.group("tokens")
def tokens_group() -> None:
    """API tokens (Authorization: Bearer <token>) for the leads API."""


@tokens_group.command("create")
@click.option("--user", "email", required=True, help="The email of the user the token acts as.")
@click.option("--name", default="cli", help="A label to recognise the token by.")
def create(email: str, name: str) -> None:
    """Create a token. Only its SHA-256 is stored: copy it now, it is not shown again."""
    try:
        with runtime.database().transaction() as session:
            user = accounts.user_by_email(session, email)
            if user is None:
                raise click.ClickException(f"No user {email}.")
            token = accounts.create_token(session, user, name)
    except WorkspaceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"API token for {email} (shown once; store it safely):", err=True)
    click.echo(token)
