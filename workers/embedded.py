"""Worker threads and the scheduler inside the `crm run` process (the embedded default)."""

from __future__ import annotations

import threading

import dramatiq

from workers.scheduler import run_scheduler


class EmbeddedRuntime:
    def __init__(self, broker: dramatiq.Broker, worker_threads: int = 4) -> None:
        self.worker = dramatiq.Worker(broker, worker_threads=worker_threads, worker_timeout=100)
        self._stop = threading.Event()
        self._scheduler = threading.Thread(target=run_scheduler, args=(self._stop,), name="crm-scheduler",
                                           daemon=True)

    def start(self) -> None:
        self.worker.start()
        self._scheduler.start()

    def stop(self) -> None:
        self._stop.set()
        self._scheduler.join(timeout=10)
        self.worker.stop(timeout=10_000)
