"""`crm run` (all in one process), `crm web`, `crm worker` and `crm scheduler`."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import click

from crm import migrate, runtime
from crm.config import PROJECT_ROOT


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(min=1), help="Worker threads.")
@click.option("--no-migrate", is_flag=True, help="Do not apply migrations at start.")
def run(host: str, port: int, threads: int, no_migrate: bool) -> None:
    """Web, worker and scheduler in one process (SQLite, embedded queue and file outbox by default)."""
    from werkzeug.serving import make_server

    if not os.environ.get("CRM_BASE_URL"):
        # Emails link back here (unsubscribe, CASL): on another port the default address would be dead.
        os.environ["CRM_BASE_URL"] = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"
    settings = runtime.settings()
    if not no_migrate:
        click.echo("Applying database migrations ...")
        migrate.upgrade(settings.database_url)

    import workers.actors  # noqa: F401  (declares the actors)
    from crm import create_app
    from workers.broker import broker, is_embedded
    from workers.embedded import EmbeddedRuntime

    app = create_app()
    # The port first: a port in use stops here, before any worker thread has taken a job.
    server = make_server(host, port, app, threaded=True, request_handler=_access_log_handler())
    embedded = EmbeddedRuntime(broker, worker_threads=threads)
    embedded.start()
    stop = threading.Event()

    def shutdown(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"\nReceived signal {signum}: finishing current work and stopping ...")
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    queue = "embedded queue" if is_embedded(broker) else "broker " + settings.broker_url.split("@")[-1]
    click.echo(
        f"IMP Lead CRM is running at http://{host}:{port}\n"
        f"  database: {_database_label(settings.database_url)}\n"
        f"  queue:    {queue} ({threads} worker threads, scheduler and sweep in-process)\n"
        f"  mail:     {_database_label(settings.mail_url) if '@' in settings.mail_url else settings.mail_url}\n"
        f"  intake form: http://{host}:{port}/apply    workspace: http://{host}:{port}/leads\n"
        "Press Ctrl+C to stop."
    )
    if not _has_users():
        click.echo("No consultant accounts yet. Create the first one (in another terminal):\n"
                   "  .venv/bin/crm users create --email you@example.com --role admin")
    try:
        server.serve_forever()
    finally:
        embedded.stop()
        click.echo("Stopped.")


def _access_log_handler() -> type:
    from werkzeug.serving import WSGIRequestHandler

    class AccessLogHandler(WSGIRequestHandler):
        """Werkzeug's access line without the query string, like gunicorn's in production
        (crm/observability/logs.py): the queue's search `q=` carries names and email addresses. No colour
        codes either: they end up in log files."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            path = getattr(self, "path", None)
            line = f"{self.command} {urlsplit(path).path} {self.request_version}" if path else "(unreadable request)"
            self.log("info", '"%s" %s %s', line.translate(self._control_char_table), code, size)

    return AccessLogHandler


def _has_users() -> bool:
    from sqlalchemy import select

    from crm.models import User

    with runtime.database().session() as session:
        return session.scalars(select(User.id).limit(1)).first() is not None


def _database_label(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.command("web")
@click.option("--bind", default=None, help="Address to listen on (default from deploy/gunicorn.conf.py).")
@click.option("--workers", "web_workers", default=None, type=click.IntRange(min=1),
              help="Gunicorn worker processes.")
def web(bind: str | None, web_workers: int | None) -> None:
    """The web application under gunicorn (configuration in deploy/gunicorn.conf.py)."""
    runtime.settings()  # fail fast on bad configuration
    args = [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "deploy" / "gunicorn.conf.py")]
    if bind:
        args += ["--bind", bind]
    if web_workers:
        args += ["--workers", str(web_workers)]
    args.append("crm.wsgi:app")
    os.execv(sys.executable, args)


@click.command("worker")
@click.option("--processes", "-p", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--threads", "-t", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--queues", "-Q", multiple=True, help="Only these queues.")
def worker(processes: int, threads: int, queues: tuple[str, ...]) -> None:
    """Dramatiq worker processes consuming from CRM_BROKER_URL."""
    settings = runtime.settings()
    if not settings.broker_url:
        raise click.UsageError(
            "CRM_BROKER_URL is not set: with the embedded queue the workers run inside `crm run`."
        )
    # crm.observability.worker: structured logs with message and lead ids in each worker process.
    args = [sys.executable, "-m", "dramatiq", "workers.actors", "crm.observability.worker",
            "--processes", str(processes),
            "--threads", str(threads), "--path", str(Path(PROJECT_ROOT))]
    for queue in queues:
        args += ["--queues", queue]
    os.execv(sys.executable, args)


@click.command("scheduler")
def scheduler() -> None:
    """The periodic tick: due email steps, the sweep of overdue jobs. Safe to start twice."""
    from crm.observability import logs
    from workers.scheduler import run_scheduler

    logs.configure(runtime.settings().log_format)
    stop = threading.Event()

    def shutdown(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"Received signal {signum}: stopping after the current tick ...")
        stop.set()

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    click.echo("Scheduler running. Press Ctrl+C to stop.")
    run_scheduler(stop)
    click.echo("Scheduler stopped.")


COMMANDS: list[click.Command] = [run, web, worker, scheduler]
