"""`crm emails preview LEAD_ID [--step N]`: exactly what a lead got and will get."""

from __future__ import annotations

import click

from crm import runtime
from crm.models import Lead
from crm.sequences import preview as preview_emails


@click.group("emails")
def emails() -> None:
    """A lead's sequence emails."""


@emails.command("preview")
@click.argument("lead_id")
@click.option("--step", "step_index", type=click.IntRange(min=0), default=None, help="Only this step (0 = the first).")
@click.option("--html", "show_html", is_flag=True, help="Print the HTML part too.")
def preview(lead_id: str, step_index: int | None, show_html: bool) -> None:
    """Sent steps as stored when they were sent; the others rendered now."""
    with runtime.database().session() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise click.ClickException(f"no lead with id {lead_id}")
        found = preview_emails(session, lead, step_index, settings=runtime.settings())
        every = preview_emails(session, lead, None, settings=runtime.settings()) if not found and step_index else []
    if every:
        steps = ", ".join(str(email.step) for email in every)
        raise click.ClickException(f"this lead's sequence has no step {step_index} (its steps: {steps}).")
    if not found:
        click.echo("This lead is not enrolled in any sequence.")
        return
    for email in found:
        when = email.sent_at or email.due_at
        label = "sent" if email.status == "sent" else f"{email.status}, due"
        click.echo(f"{'=' * 76}\nstep {email.step} [{label} {when:%Y-%m-%d %H:%M UTC}] {email.template} "
                   f"({email.language})" + (f"  note: {email.note}" if email.note else ""))
        for key in ("From", "To", "Reply-To", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post", "Message-ID"):
            if key in email.headers:
                click.echo(f"{key}: {email.headers[key]}")
        click.echo(f"{'-' * 76}\n{email.text}")
        if show_html:
            click.echo(f"{'-' * 76}\n{email.html}")


COMMANDS = [emails]
