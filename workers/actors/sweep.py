"""The sweep: a periodic task in the scheduler process (and an actor, to trigger one by hand)."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import dramatiq

from crm import runtime
from crm.classify.sweep import SweepReport, sweep_overdue
from workers.dispatch import BrokerDispatcher
from workers.scheduler import PeriodicTask

log = logging.getLogger(__name__)


def sweep_after() -> timedelta:
    return timedelta(seconds=float(os.environ.get("CRM_SWEEP_AFTER_SECONDS", "120")))


def run_sweep() -> SweepReport:
    from workers.broker import broker

    report = sweep_overdue(runtime.database(), BrokerDispatcher(broker), older_than=sweep_after())
    if report.resent or report.recorded:
        log.info("sweep re-sent %d overdue job(s), recorded %d job(s) for stuck leads", report.resent,
                 report.recorded)
    return report


def sweep_task() -> PeriodicTask:
    return PeriodicTask("sweep", float(os.environ.get("CRM_SWEEP_EVERY_SECONDS", "30")), run_sweep)


@dramatiq.actor(actor_name="sweep", max_retries=0, time_limit=120_000, throws=())
def sweep() -> None:
    """Run the sweep once now (it also runs every 30 seconds in the scheduler)."""
    run_sweep()
