"""Dramatiq's stub broker and an in-process worker (the pattern from Dramatiq's own test suite)."""

from __future__ import annotations

from tests.brokers import stub_broker, stub_worker  # noqa: F401  (fixtures)


