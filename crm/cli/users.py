"""`crm users create|list|deactivate`: team accounts from the command line."""

from __future__ import annotations

import click

from crm import runtime
from crm.workspace import WorkspaceError, accounts


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@click.group("users")
def users_group() -> None:
    """Consultant and admin accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "consultant"]))
@click.option("--password", default=None, help="Prompted for (hidden, twice) when not given.")
@click.option("--name", default="")
@click.option("--languages", default="", help="Languages the consultant covers, e.g. en,fr (empty: all).")
@click.option("--streams", default="", help="Stream slugs the consultant covers, comma-separated (empty: all).")
@click.option("--ui-language", default="en", type=click.Choice(["en", "fr"]))
def create(email: str, role: str, password: str | None, name: str, languages: str, streams: str,
           ui_language: str) -> None:
    """Create a user."""
    try:
        if password is None:
            # The other details first: a typo in them should not cost a password typed twice.
            with runtime.database().transaction() as session:
                accounts.check_new_user(session, email, role, _list(languages), _list(streams))
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        with runtime.database().transaction() as session:
            user = accounts.create_user(session, email, role, password, name=name, languages=_list(languages),
                                        streams=_list(streams), ui_language=ui_language)
            user_id, user_email = user.id, user.email
    except WorkspaceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Created {role} {user_email} (id {user_id}).")


@users_group.command("list")
def list_users() -> None:
    """List users: email, role, active, languages, streams."""
    with runtime.database().transaction() as session:
        for user in accounts.all_users(session):
            click.echo("\t".join([user.email, user.role, "active" if user.active else "deactivated",
                                  ",".join(user.languages or []) or "*", ",".join(user.streams or []) or "*"]))


@users_group.command("deactivate")
@click.option("--email", required=True)
def deactivate(email: str) -> None:
    """Deactivate a user: sign-in and tokens stop working; their open leads return to the pool."""
    with runtime.database().transaction() as session:
        user = accounts.user_by_email(session, email)
        if user is None:
            raise click.ClickException(f"No user {email}.")
        if not user.active:
            click.echo(f"{user.email} is already deactivated.")
            return
        released = accounts.deactivate_user(session, user)
    click.echo(f"Deactivated {email}; {released} open leads returned to the unassigned pool.")
