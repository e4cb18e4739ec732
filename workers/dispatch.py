"""Hands recorded jobs to the broker: one message per job, carrying only ids."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq

from crm.models import Job

log = logging.getLogger(__name__)


class BrokerDispatcher:
    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker

    def dispatch(self, jobs: list[Job]) -> None:
        for job in jobs:
            try:
                actor = self.broker.get_actor(job.kind)
                actor.send(**message_kwargs(job))
            except Exception:
                # The job row is committed; the sweep sends it again once the broker is back.
                log.warning("could not send job %s (%s); the sweep will retry it", job.id, job.kind,
                            exc_info=True)


def message_kwargs(job: Job) -> dict[str, Any]:
    """The message's arguments: the job's args and, for classify_lead, the job's id (a worker that has
    seen that job done drops a duplicate message without a query; see crm.classify.service.DoneJobs)."""
    kwargs = dict(job.args)
    if job.kind == "classify_lead" and job.id is not None:
        kwargs["job_id"] = job.id
    return kwargs


def broker_dispatcher() -> BrokerDispatcher:
    import workers.actors  # noqa: F401  (declares the actors on the broker)
    from workers.broker import broker

    return BrokerDispatcher(broker)
