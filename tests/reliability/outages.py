"""Shared pieces of the outage tests: run a fault while leads are being posted, print the counts."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable

import pytest

from tests.reliability.topology import Counts, PostResult, Topology


def during_posting(topology: Topology, payloads: list[dict[str, object]], fault: Callable[[], None],
                   after_posted: int, attempts: int = 1, concurrency: int = 8) -> PostResult:
    """Post `payloads`; once `after_posted` answers came back, run `fault` (in its own thread) once."""
    fired = threading.Event()
    errors: list[BaseException] = []

    def run_fault() -> None:
        try:
            fault()
        except BaseException as exc:  # reported by the test below, not lost in a thread
            errors.append(exc)
        finally:
            topology.last_fault = time.monotonic()

    thread = threading.Thread(target=run_fault)

    def on_progress(done: int) -> None:
        if done >= after_posted and not fired.is_set():
            fired.set()
            thread.start()

    result = topology.post_leads(payloads, concurrency=concurrency, attempts=attempts, on_progress=on_progress)
    if fired.is_set():
        thread.join()
    assert fired.is_set(), "the fault never ran"
    assert not errors, errors
    return result


def report(capsys: pytest.CaptureFixture[str], counts: Counts, label: str, extra: str = "") -> None:
    with capsys.disabled():
        print("\n" + counts.line(label) + (" " + extra if extra else ""))


def rabbitmq_outage(vhost: str, user: str, seconds: float) -> None:
    """RabbitMQ unreachable for this vhost: drop every connection and refuse new ones for `seconds`.

    Restarting the shared RabbitMQ would break other tests running at the same time; taking the
    permissions away and closing the connections gives our processes the same experience (their
    connections die, reconnects fail) while the other vhosts carry on.
    """
    ctl = ["rabbitmqctl", "-q"]
    subprocess.run([*ctl, "clear_permissions", "-p", vhost, user], check=True, capture_output=True)
    subprocess.run([*ctl, "close_all_connections", "-p", vhost, "reliability test: broker outage"],
                   check=True, capture_output=True)
    time.sleep(seconds)
    subprocess.run([*ctl, "set_permissions", "-p", vhost, user, ".*", ".*", ".*"], check=True,
                   capture_output=True)
