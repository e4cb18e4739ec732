"""`crm sequences list` and `crm sequences simulate --stream S --lang fr`: a sequence's schedule and
every step rendered for a sample lead (nothing is stored or sent)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import click

from crm import runtime
from crm.countries import lookup_country
from crm.models import Lead
from crm.sequences.content import Sender, build_context
from crm.sequences.definitions import definitions
from crm.sequences.rendering import render
from crm.sequences.timezones import next_window, zone_for


@click.group("sequences")
def sequences() -> None:
    """Email sequences: list them, or simulate one for a sample lead."""


@sequences.command("list")
def list_sequences() -> None:
    """Every sequence with its steps (day, template, content)."""
    for name, sequence in definitions().sequences.items():
        click.echo(f"{name}  (stream: {sequence.stream})")
        for step in sequence.steps:
            consent = "" if step.marketing else "  [answer to the inquiry: no consent needed]"
            click.echo(f"  step {step.index}  day {step.day:>3}  {step.template:<22} {step.content_key}{consent}")


@sequences.command("simulate")
@click.option("--stream", "stream", required=True, help="Stream slug, or 'employer' for the employer sequence.")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True)
@click.option("--citizenship", default="FR", show_default=True,
              help="Sample lead's citizenship (ISO code or country name).")
@click.option("--residence", default=None,
              help="Sample lead's country of residence (ISO code or name; default: the citizenship).")
@click.option("--age", type=click.IntRange(0, 120), default=29, show_default=True)
@click.option("--first-name", default="Camille", show_default=True)
@click.option("--html", "show_html", is_flag=True, help="Print the HTML part too.")
def simulate(stream: str, lang: str, citizenship: str, residence: str | None, age: int, first_name: str,
             show_html: bool) -> None:
    """Print the schedule of a sequence and render each step for a sample lead."""
    defs = definitions()
    sequence = defs.sequences.get(stream)
    if sequence is None:
        raise click.BadParameter(f"unknown sequence; choose from: {', '.join(defs.sequences)}", param_hint="--stream")
    # A name ("France") or a code in any case, as the intake form and `crm rules show` take it; an
    # unknown value would otherwise render every step for a lead of no known country.
    citizenship = _country_code(citizenship, "--citizenship")
    residence = _country_code(residence, "--residence") if residence else None
    settings = runtime.settings()
    now = datetime.now(UTC)
    lead = Lead(id="00000000-0000-7000-8000-000000000000", email="sample@example.com", email_key="sample@example.com",
                first_name=first_name, last_name="Sample", citizenships=[citizenship.upper()],
                country_of_residence=(residence or citizenship).upper(), stated_age=age, stated_age_on=date.today(),
                preferred_language=lang, facts={}, reply_token="0" * 32)
    zone = zone_for(lead.country_of_residence, lead.citizenships)
    click.echo(f"Sequence {sequence.name} ({lang}), sample lead: {first_name}, {age}, {citizenship.upper()}; "
               f"local time zone {zone.key}\n")
    for step in sequence.steps:
        due = now if step.day == 0 else next_window(now + timedelta(days=step.day), zone)
        click.echo(f"step {step.index}: day {step.day}, due {due.astimezone(zone):%Y-%m-%d %H:%M %Z}, "
                   f"template {step.template}, content {step.content_key}")
    sender = Sender.from_settings(settings)
    for step in sequence.steps:
        context = build_context(lead, None, sequence, lang, sender, f"{settings.base_url}/unsubscribe/SAMPLE", now)
        subject, text, html = render(step.template, lang, context)
        click.echo(f"\n{'=' * 76}\nstep {step.index} (day {step.day})  Subject: {subject}\n{'-' * 76}\n{text}")
        if show_html:
            click.echo(f"{'-' * 76}\n{html}")


def _country_code(value: str, option: str) -> str:
    match = lookup_country(value)
    if match is None:
        raise click.BadParameter(f"{value!r} is not a country we recognise", param_hint=option)
    return match.code


COMMANDS = [sequences]
