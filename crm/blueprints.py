"""Feature blueprints beyond intake and health. Each feature adds its own line here."""

from __future__ import annotations

from flask import Blueprint


def all_blueprints() -> list[tuple[Blueprint, bool]]:
    """(blueprint, exempt from CSRF) pairs; API blueprints that use tokens are exempt."""
    found: list[tuple[Blueprint, bool]] = []
    from crm.observability.metrics import bp as metrics_bp
    found.append((metrics_bp, False))
    from crm.web import blueprints as workspace_blueprints; found.extend(workspace_blueprints())  # noqa: E702, I001
    from crm.sequences.views import bp as email_bp; found.append((email_bp, True))  # noqa: E702, I001  (unsubscribe, events)
    return found
