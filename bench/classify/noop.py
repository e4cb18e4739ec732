"""A no-op actor on the same broker and worker settings: the baseline for classify_lead's drain rate."""

from __future__ import annotations

import dramatiq

import workers.actors  # noqa: F401  (the real broker, middleware and actors)

NOOP_QUEUE = "bench_noop"


@dramatiq.actor(actor_name="bench_noop", queue_name=NOOP_QUEUE, max_retries=0, time_limit=60_000)
def bench_noop(lead_id: str, trigger: str = "intake", job_id: int | None = None) -> None:
    """Takes the same arguments as classify_lead and does nothing."""
