"""Commands that feature packages contribute (rules, leads, emails, sequences, users, tokens)."""

from __future__ import annotations

import click


def commands() -> list[click.Command]:
    found: list[click.Command] = []
    return found
