"""`crm leads reclassify`: run the current ruleset again over stored leads, keeping the history."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from crm import runtime
from crm.classify.ruleset import STREAM_SLUGS, load_ruleset
from crm.classify.service import classify_and_store
from crm.countries import lookup_country
from crm.db import utcnow
from crm.models import Lead, LeadStatus


@click.group("leads")
def leads_group() -> None:
    """Leads: re-classification."""


@leads_group.command("reclassify")
@click.option("--all", "all_leads", is_flag=True, help="Every lead (except spam).")
@click.option("--stream", default=None, help="Leads whose primary stream is this slug.")
@click.option("--country", default=None,
              help="Leads with this citizenship (name or ISO code; the form's, else as read from the message).")
def reclassify(all_leads: bool, stream: str | None, country: str | None) -> None:
    """Classify leads again with the current ruleset; earlier classifications stay as history."""
    if sum(bool(x) for x in (all_leads, stream, country)) != 1:
        raise click.UsageError("give exactly one of --all, --stream S or --country C")
    if stream and stream not in STREAM_SLUGS:
        raise click.BadParameter(f"{stream!r} is not a stream slug; choose from: {', '.join(STREAM_SLUGS)}",
                                 param_hint="--stream")
    code = None
    if country:
        match = lookup_country(country)
        if match is None:
            raise click.BadParameter(f"{country!r} is not a country we recognise", param_hint="--country")
        code = match.code
    ruleset = load_ruleset()
    db = runtime.database()
    with db.transaction() as session:
        query = select(Lead.id, Lead.citizenships, Lead.message_citizenships).where(
            Lead.status != LeadStatus.SPAM.value)
        if stream:
            query = query.where(Lead.primary_stream == stream)
        rows = session.execute(query.order_by(Lead.created_at)).all()
    # A citizenship from the form, else as read from the message (the classifier's, and the queue's filter's rule).
    ids = [lead_id for lead_id, citizenships, read in rows
           if code is None or code in (citizenships or read or [])]
    changed = unchanged = failed = done = 0
    label = f"Reclassifying {len(ids)} lead(s) with ruleset {ruleset.version}"
    # Off a terminal (a log file, `systemd-run --pipe`) click's bar prints nothing until the end: a line
    # every tenth of the way instead, so that a long run shows it is moving.
    every = max(len(ids) // 10, 1) if not sys.stdout.isatty() else 0
    try:
        with click.progressbar(ids, label=label) as bar:
            for lead_id in bar:
                try:
                    with db.transaction() as session:
                        outcome = classify_and_store(session, lead_id, "reclassify", utcnow(), ruleset, force=True)
                except Exception as exc:  # reported below and in the exit status; the other leads still run
                    failed += 1
                    click.echo(f"\nlead {lead_id}: {_describe(exc)}", err=True)
                else:
                    if outcome.changed_stream and outcome.previous_stream is not None:
                        changed += 1
                    else:
                        unchanged += 1
                done += 1
                if every and done % every == 0 and done < len(ids):
                    click.echo(f"  {done}/{len(ids)} ...")
    except KeyboardInterrupt:
        # Each lead is its own transaction: the ones done keep their new classification, the one in
        # progress was rolled back. Running the command again is safe (an unchanged result adds nothing).
        click.echo(f"\nInterrupted after {done} of {len(ids)} lead(s): {changed} changed primary stream, "
                   f"{unchanged} did not" + (f", {failed} failed" if failed else "")
                   + ". Run the same command again to finish.", err=True)
        raise SystemExit(130) from None
    click.echo(f"{len(ids)} lead(s) reclassified: {changed} changed primary stream, {unchanged} did not"
               + (f", {failed} failed" if failed else "") + ".")
    if failed:
        raise SystemExit(1)


def _describe(exc: Exception) -> str:
    """The error's type, and its message unless it comes from the database driver, whose messages carry
    the statement's parameters (a lead's name or address)."""
    if isinstance(exc, SQLAlchemyError):
        return f"{type(exc).__name__} (database error; details withheld)"
    return f"{type(exc).__name__}: {exc}"


COMMANDS: list[click.Command] = [leads_group]
