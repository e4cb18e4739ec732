"""`crm leads reclassify`: run the current ruleset again over stored leads, keeping the history."""

from __future__ import annotations

import click
from sqlalchemy import select

from crm import runtime
from crm.classify.ruleset import load_ruleset
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
@click.option("--country", default=None, help="Leads with this citizenship (name or ISO code).")
def reclassify(all_leads: bool, stream: str | None, country: str | None) -> None:
    """Classify leads again with the current ruleset; earlier classifications stay as history."""
    if sum(bool(x) for x in (all_leads, stream, country)) != 1:
        raise click.UsageError("give exactly one of --all, --stream S or --country C")
    code = None
    if country:
        match = lookup_country(country)
        if match is None:
            raise click.BadParameter(f"{country!r} is not a country we recognise", param_hint="--country")
        code = match.code
    ruleset = load_ruleset()
    db = runtime.database()
    with db.transaction() as session:
        query = select(Lead.id, Lead.citizenships).where(Lead.status != LeadStatus.SPAM.value)
        if stream:
            query = query.where(Lead.primary_stream == stream)
        rows = session.execute(query.order_by(Lead.created_at)).all()
    ids = [lead_id for lead_id, citizenships in rows if code is None or code in (citizenships or [])]
    changed = unchanged = failed = 0
    with click.progressbar(ids, label=f"Reclassifying {len(ids)} lead(s) with ruleset {ruleset.version}") as bar:
        for lead_id in bar:
            try:
                with db.transaction() as session:
                    outcome = classify_and_store(session, lead_id, "reclassify", utcnow(), ruleset, force=True)
            except Exception as exc:  # reported below and in the exit status; the other leads still run
                failed += 1
                click.echo(f"\nlead {lead_id}: {type(exc).__name__}: {exc}", err=True)
                continue
            if outcome.changed_stream and outcome.previous_stream is not None:
                changed += 1
            else:
                unchanged += 1
    click.echo(f"{len(ids)} lead(s) reclassified: {changed} changed primary stream, {unchanged} did not"
               + (f", {failed} failed" if failed else "") + ".")
    if failed:
        raise SystemExit(1)


COMMANDS: list[click.Command] = [leads_group]
