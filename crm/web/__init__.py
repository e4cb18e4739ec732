"""The consultant workspace: sign-in, queue, lead page, dashboard, admin tools and the leads API."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> list[tuple[Blueprint, bool]]:
    """(blueprint, CSRF-exempt) pairs; only the token-authenticated API is exempt."""
    from crm.web import admin, api, auth, dashboard, lead_views, queue_views

    return [(auth.bp, False), (queue_views.bp, False), (lead_views.bp, False), (dashboard.bp, False),
            (admin.bp, False), (api.bp, True)]
