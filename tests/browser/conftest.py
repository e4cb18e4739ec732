"""The demo firm served on loopback and a desktop Chromium page (defined with the consultant's-day test,
tests/browser/test_workspace.py), for every browser test."""

from tests.browser.test_workspace import page, server  # noqa: F401  (fixtures)
