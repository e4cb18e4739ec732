"""The broker, chosen by CRM_BROKER_URL: redis://, amqp://, or unset for the embedded queue.

The embedded queue is Dramatiq's in-process StubBroker, consumed by worker threads inside
`crm run`. It keeps nothing across restarts, which is safe because every job is a database row
and the sweep re-sends whatever was not finished.

Importing this module sets the global broker, so import it before any actor module.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dramatiq
from dotenv import load_dotenv
from dramatiq.brokers.stub import StubBroker

from workers.middleware import DatabaseSession

load_dotenv()


def make_broker(url: str | None) -> dramatiq.Broker:
    broker: dramatiq.Broker
    if not url:
        broker = StubBroker()
        broker.emit_after("process_boot")
    elif url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        # A dead worker's unacknowledged messages are re-queued once its heartbeat is older than
        # heartbeat_timeout, by a maintenance pass that runs on maintenance_chance in a million commands.
        # Dramatiq's defaults (60 s, 0.1%) leave a crash to the sweep; these bring them back in seconds.
        broker = RedisBroker(
            url=url,
            heartbeat_timeout=int(os.environ.get("CRM_REDIS_HEARTBEAT_TIMEOUT_MS", "15000")),
            maintenance_chance=int(os.environ.get("CRM_REDIS_MAINTENANCE_CHANCE", "10000")),
        )
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=_with_heartbeat(url))
    else:
        raise ValueError("CRM_BROKER_URL must start with redis://, rediss:// or amqp://, or be unset")
    # Dramatiq adds its Prometheus exporter when prometheus_client is installed; it binds port 9191 on
    # every interface, so a second worker group on a host fails to start. Our /metrics is computed from
    # the database instead, which is correct across processes and hosts.
    for middleware in [m for m in broker.middleware if type(m).__name__ == "Prometheus"]:
        broker.middleware.remove(middleware)
    # A worker process of a real broker: no pre-ping (see workers/middleware.py). The embedded queue
    # shares the web's engine, which keeps it.
    broker.add_middleware(DatabaseSession(pre_ping=isinstance(broker, StubBroker)))
    return broker


def _with_heartbeat(url: str) -> str:
    """A short AMQP heartbeat returns a dead worker's unacknowledged messages within seconds.

    pika reads it from the URL's query string (Dramatiq refuses `url=` together with pika parameters).
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("heartbeat", os.environ.get("CRM_AMQP_HEARTBEAT", "10"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def is_embedded(broker: dramatiq.Broker) -> bool:
    return isinstance(broker, StubBroker)


broker = make_broker(os.environ.get("CRM_BROKER_URL"))
dramatiq.set_broker(broker)
