"""`crm rules check` and `crm rules show COUNTRY`: the classification ruleset."""

from __future__ import annotations

from pathlib import Path

import click

from crm.classify.ruleset import CATEGORY_STREAM, Ruleset, load_ruleset, validate_ruleset
from crm.countries import country_name, lookup_country


@click.group("rules")
def rules_group() -> None:
    """The classification ruleset (crm/classify/ruleset.yaml)."""


@rules_group.command("check")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Check this file instead of the packaged ruleset.")
def check(path: Path | None) -> None:
    """Validate the ruleset: schema, ISO codes, a source and a confidence for every rule."""
    problems = validate_ruleset(path)
    if problems:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        raise SystemExit(f"{len(problems)} problem(s) in the ruleset")
    ruleset = load_ruleset(path)
    unconfirmed = sorted(c.code for c in ruleset.countries.values() if c.confidence == "unconfirmed")
    unconfirmed += sorted(f"{stream.slug} {code}" for stream in ruleset.streams
                          for code, (confidence, _notes) in stream.code_confidence.items()
                          if confidence == "unconfirmed")
    click.echo(f"Ruleset {ruleset.version} (effective {ruleset.effective_date}) is valid: "
               f"{len(ruleset.countries)} IEC countries, {len(ruleset.streams)} streams, "
               f"{len(ruleset.agreements)} trade agreements.")
    click.echo(f"Unconfirmed (consultant review): {', '.join(unconfirmed) or 'none'}")


@rules_group.command("show")
@click.argument("country")
def show(country: str) -> None:
    """What applies to citizens of COUNTRY (a name, alias, nationality or ISO code)."""
    match = lookup_country(country)
    if match is None:
        raise click.BadParameter(f"{country!r} is not a country we recognise", param_hint="COUNTRY")
    ruleset = load_ruleset()
    click.echo(f"{country_name(match.code)} ({match.code}) - ruleset {ruleset.version}, "
               f"effective {ruleset.effective_date}")
    rule = ruleset.iec_country(match.code)
    if rule is None:
        ro = ruleset.stream("iec-recognized-organization")
        click.echo("IEC: not a partner country -> iec-recognized-organization (C21 through a Recognized "
                   f"Organization)\n  source: {ro.source}")
    else:
        click.echo(f"IEC: status {rule.status}, confidence {rule.confidence}")
        if rule.categories:
            streams = ", ".join(f"{c} ({CATEGORY_STREAM[c]})" for c in rule.categories)
            click.echo(f"  categories: {streams}")
            age = f"{rule.min_age}-{rule.max_age}"
            if rule.disputed_max_age:
                age += f" (sources disagree: up to {rule.disputed_max_age})"
            click.echo(f"  ages: {age} (from the day they turn {rule.min_age} until the day before they turn "
                       f"{(rule.max_age or 0) + 1})")
            duration = f"{rule.max_duration_months} months" if rule.max_duration_months else "not in our sources"
            click.echo(f"  maximum duration: {duration}")
        if rule.notes:
            click.echo(f"  notes: {rule.notes}")
        click.echo(f"  source: {rule.source}")
    agreements = ruleset.agreements_for(match.code)
    for agreement in agreements:
        click.echo(f"{agreement.name}: professionals {agreement.code} (free-trade-professional), "
                   f"confidence {agreement.confidence}\n  source: {agreement.source}")
    click.echo("Also open to every nationality, depending on the situation: "
               + ", ".join(_open_stream_labels(ruleset, match.code)) + ".")


# The streams open to any nationality, in the order shown, with a word on when each applies where the code alone
# does not say it.
_OPEN_STREAMS: tuple[tuple[str, str], ...] = (
    ("global-talent-stream", ""), ("entrepreneur", ""), ("intra-company-transferee", ""),
    ("francophone-mobility", "job outside Quebec"), ("spousal-open-work-permit", ""),
    ("post-graduation-work-permit", ""), ("bridging-open-work-permit", ""), ("significant-benefit", ""),
)


def _open_stream_labels(ruleset: Ruleset, country_code: str) -> list[str]:
    """Each open stream with its codes as the ruleset has them (not a copy that goes stale when a code is added):
    agreement-only codes only for that agreement's citizens, the sponsored spouse's code with the spousal stream."""
    agreement_keys = {agreement.key for agreement in ruleset.agreements_for(country_code)}
    labels = []
    for slug, when in _OPEN_STREAMS:
        stream = ruleset.stream(slug)
        restricted = {key: set(codes.values()) for key, codes in stream.agreement_codes.items()}
        codes = [code for code in stream.exemption_codes
                 if not any(code in restricted_codes and key not in agreement_keys
                            for key, restricted_codes in restricted.items())]
        if slug == "spousal-open-work-permit" and ruleset.sponsored_spouse_code:
            codes.append(ruleset.sponsored_spouse_code)
        detail = ", ".join(part for part in ("/".join(dict.fromkeys(codes)), when) if part)
        labels.append(f"{slug} ({detail})" if detail else slug)
    return labels

COMMANDS: list[click.Command] = [rules_group]
