"""Commands that feature packages contribute (rules, leads, emails, sequences, users, tokens)."""

from __future__ import annotations

import click


def commands() -> list[click.Command]:
    found: list[click.Command] = []
    from crm.cli import tokens, users; found.extend([users.users_group, tokens.tokens_group])  # noqa: E702, I001
    from crm.cli import leads, rules; found.extend([rules.rules_group, leads.leads_group])  # noqa: E702, I001
    from crm.cli import emails, sequences; found.extend([emails.emails, sequences.sequences])  # noqa: E702, I001
    return found
