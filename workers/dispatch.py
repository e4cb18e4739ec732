"""Hands recorded jobs to the broker: one message per job, carrying only ids."""

from __future__ import annotations

import logging

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
                actor.send(**job.args)
            except Exception:
                # The job row is committed; the sweep sends it again once the broker is back.
                log.warning("could not send job %s (%s); the sweep will retry it", job.id, job.kind,
                            exc_info=True)


def broker_dispatcher() -> BrokerDispatcher:
    import workers.actors  # noqa: F401  (declares the actors on the broker)
    from workers.broker import broker

    return BrokerDispatcher(broker)
