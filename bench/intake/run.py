"""Orchestration: databases, the two gunicorn servers, wrk runs, verification and the report."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.bare_app import BareRow, create_table
from bench.intake.payloads import write_requests
from bench.sender import SENDER_ENV
from crm import migrate
from crm.config import PROJECT_ROOT
from crm.db import Database
from crm.models import Activity, ConsentRecord, Inquiry, Job, Lead

HERE = Path(__file__).resolve().parent
GUNICORN_CONFIG = PROJECT_ROOT / "bench" / "gunicorn.conf.py"
LUA_SCRIPT = HERE / "replay.lua"
WEBHOOK_SECRET = "bench-webhook-secret"
PG_DATABASE = "crm_bench_intake"
TARGET_RPS_RATIO = 0.8
TARGET_P99_RATIO = 2.0


@dataclass
class Result:
    app: str
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    statuses: dict[str, int]
    errors: dict[str, int]
    wrapped: int
    stored: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def valid(self) -> bool:
        expected = "201"
        return (self.wrapped == 0 and set(self.statuses) == {expected}
                and not any(self.errors.values()))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--duration", type=int, default=20, help="seconds of measured load per run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load first")
    parser.add_argument("--connections", type=int, default=4, help="wrk -c")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t")
    parser.add_argument("--rounds", type=int, default=1, help="bare/ours pairs per backend (median kept)")
    parser.add_argument("--max-rate", type=int, default=4000,
                        help="requests per second to pre-generate for (a run that uses them up is invalid)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--no-floor", dest="floor", action="store_false",
                        help="skip the second baseline (bench/floor_app.py: our new-lead rows and nothing else)")
    parser.add_argument("--broker-url", default="", help="CRM_BROKER_URL for our app (default: embedded queue)")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and databases")
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(app: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """Serve `app` under bench/gunicorn.conf.py on a free loopback port; yields the base URL."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG), "-b", f"127.0.0.1:{port}", app],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base + "/healthz", process, log)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within 60 s; see {log}")


def run_wrk(url: str, requests_file: Path, seconds: int, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ, BENCH_REQUESTS=str(requests_file), BENCH_THREADS=str(args.threads))
    completed = subprocess.run(
        ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(LUA_SCRIPT), url],
        env=env, capture_output=True, text=True, check=True,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            data: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
            return data
    raise RuntimeError(f"wrk printed no result:\n{completed.stdout}\n{completed.stderr}")


def measure(name: str, base: str, path: str, work: Path, signed: bool, args: argparse.Namespace,
            count_rows: Any) -> Result:
    """Warm up, then one measured wrk run with fresh, freshly signed bodies."""
    secret = WEBHOOK_SECRET if signed else None
    run_id = uuid.uuid4().hex[:8]
    warm = write_requests(work / f"{name}-warm.txt", f"w{run_id}", args.max_rate * args.warmup, secret)
    warm_data = run_wrk(base + path, warm, args.warmup, args)
    before = count_rows()
    # Signatures are valid for 5 minutes: sign right before the measured run.
    measured = write_requests(work / f"{name}-run.txt", run_id, args.max_rate * args.duration, secret)
    data = run_wrk(base + path, measured, args.duration, args)
    stored = count_rows() - before
    result = Result(
        app=name, requests=data["requests"], seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000, p90_ms=data["p90_us"] / 1000, p99_ms=data["p99_us"] / 1000,
        statuses=data["statuses"], errors=data["errors"], wrapped=data["wrapped"], stored=stored,
    )
    if warm_data["statuses"].keys() - {"201"}:
        result.notes.append(f"warm-up statuses {warm_data['statuses']}")
    created = result.statuses.get("201", 0)
    # Requests in flight when a wrk run stops (the warm-up's or the measured one's) are stored but not
    # counted: up to one per connection each.
    if not created <= stored <= created + 2 * args.connections:
        result.notes.append(f"{stored} rows stored for {created} responses 201")
    for file in (warm, measured):
        file.unlink()
    return result


@dataclass
class Backend:
    name: str
    ours_url: str
    bare_url: str
    floor_url: str


@contextmanager
def databases(name: str, work: Path, args: argparse.Namespace) -> Iterator[Backend]:
    """Fresh databases for one backend: ours migrated with crm.migrate.upgrade, the bare table created."""
    if name == "sqlite":
        ours, bare = f"sqlite:///{work / 'ours.sqlite3'}", f"sqlite:///{work / 'bare.sqlite3'}"
        floor = f"sqlite:///{work / 'floor.sqlite3'}"
        migrate.upgrade(ours)
        migrate.upgrade(floor)
        _create_bare_table(bare)
        yield Backend(name, ours, bare, floor)
        return
    if name != "postgres":
        raise SystemExit(f"unknown backend {name!r}")
    admin_url = make_url(args.postgres_url).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    names = (PG_DATABASE, PG_DATABASE + "_floor")
    with admin.connect() as conn:
        for database in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    url, floor = (admin_url.set(database=database).render_as_string(hide_password=False) for database in names)
    try:
        migrate.upgrade(url)
        migrate.upgrade(floor)  # its own database: our tables' row counts stay ours
        _create_bare_table(url)  # same database, its own table
        yield Backend(name, url, url, floor)
    finally:
        if not args.keep:
            with admin.connect() as conn:
                for database in names:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def _create_bare_table(url: str) -> None:
    database = Database(url)
    create_table(database.engine)
    database.dispose()


def _counter(url: str, model: Any) -> Any:
    def count() -> int:
        database = Database(url)
        try:
            with database.session() as session:
                return int(session.scalar(select(func.count()).select_from(model)) or 0)
        finally:
            database.dispose()
    return count


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "BENCH_"))}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    return env


def bench_backend(backend: Backend, work: Path, args: argparse.Namespace) -> list[Round]:
    ours_env = _base_env() | {
        "CRM_ENV": "production", "CRM_DATABASE_URL": backend.ours_url, "CRM_SECRET_KEY": "bench-" + "x" * 40,
        "CRM_WEBHOOK_SECRET": WEBHOOK_SECRET, "CRM_RATE_LIMIT": "off", "CRM_MAIL_URL": f"file://{work / 'outbox'}",
        "CRM_VAR_DIR": str(work / "var"), **SENDER_ENV,
    }
    if args.broker_url:
        ours_env["CRM_BROKER_URL"] = args.broker_url
    bare_env = _base_env() | {"BENCH_DATABASE_URL": backend.bare_url}
    floor_env = _base_env() | {"BENCH_DATABASE_URL": backend.floor_url}
    rounds = []
    for round_no in range(args.rounds):
        with gunicorn("bench.bare_app:create_app()", bare_env, work / "bare-gunicorn.log") as base:
            bare = measure("bare", base, "/bare", work, False, args, _counter(backend.bare_url, BareRow))
        floor = None
        if args.floor:
            with gunicorn("bench.floor_app:create_app()", floor_env, work / "floor-gunicorn.log") as base:
                floor = measure("floor", base, "/floor", work, False, args, _counter(backend.floor_url, Inquiry))
        with gunicorn("crm.wsgi:app", ours_env, work / "ours-gunicorn.log") as base:
            ours = measure("ours", base, "/api/leads", work, True, args, _counter(backend.ours_url, Inquiry))
        floor_text = f"floor {floor.rps:.0f} req/s p99 {floor.p99_ms:.2f} ms; " if floor else ""
        print(f"  {backend.name} round {round_no + 1}: bare {bare.rps:.0f} req/s p99 {bare.p99_ms:.2f} ms; "
              f"{floor_text}ours {ours.rps:.0f} req/s p99 {ours.p99_ms:.2f} ms", flush=True)
        rounds.append(Round(bare, ours, floor))
    _check_ours(backend.ours_url, sum(r.ours.stored for r in rounds))
    return rounds


@dataclass
class Round:
    bare: Result
    ours: Result
    floor: Result | None = None


def _check_ours(url: str, measured_inquiries: int) -> None:
    """Every inquiry made a lead (unique emails), a consent record, a timeline entry and a job."""
    database = Database(url)
    with database.session() as session:
        counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                  for model in (Lead, Inquiry, ConsentRecord, Activity, Job)}
    database.dispose()
    if len(set(counts.values())) != 1:
        print(f"  WARNING: expected equal counts, got {counts}")
    else:
        print(f"  stored: {counts}")


def _median(results: list[Result]) -> Result:
    ordered = sorted(results, key=lambda r: r.rps)
    return ordered[len(ordered) // 2]


def report(rows: dict[str, list[Round]], args: argparse.Namespace) -> tuple[str, bool]:
    lines = [
        f"intake benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}; gunicorn 2 sync workers; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s (warm-up {args.warmup}s); "
        f"rounds {args.rounds}",
        f"{'backend':<9}{'app':<6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  requests (statuses)",
    ]
    ok = True
    for backend, rounds in rows.items():
        bare, ours = _median([r.bare for r in rounds]), _median([r.ours for r in rounds])
        floors = [r.floor for r in rounds if r.floor is not None]
        floor = _median(floors) if floors else None
        for result in (bare, floor, ours):
            if result is None:
                continue
            status = ", ".join(f"{k}: {v}" for k, v in sorted(result.statuses.items()))
            lines.append(f"{backend:<9}{result.app:<6}{result.rps:>9.0f}{result.p50_ms:>9.2f}"
                         f"{result.p99_ms:>9.2f}  {result.requests} ({status})")
            errors = {k: v for k, v in result.errors.items() if v}
            if errors or result.wrapped or result.notes:
                lines.append(f"{'':15}errors {errors} wrapped {result.wrapped} {'; '.join(result.notes)}")
        rps_ratio, p99_ratio = ours.rps / bare.rps, ours.p99_ms / bare.p99_ms
        passed = rps_ratio >= TARGET_RPS_RATIO and p99_ratio <= TARGET_P99_RATIO and ours.valid and bare.valid
        ok = ok and passed
        lines.append(f"{backend:<9}ratio  req/s {rps_ratio:.2f}x (target >= {TARGET_RPS_RATIO}), "
                     f"p99 {p99_ratio:.2f}x (target <= {TARGET_P99_RATIO}): {'PASS' if passed else 'FAIL'}")
        if floor is not None:
            lines.append(f"{backend:<9}floor  req/s {floor.rps / bare.rps:.2f}x of bare: our new-lead rows alone "
                         f"(no validation, no ORM), a ceiling for ours; ours is {ours.rps / floor.rps:.2f}x of it")
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    rows: dict[str, list[Round]] = {}
    try:
        for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
            print(f"{name}: preparing databases in {work}", flush=True)
            with databases(name, work, args) as backend:
                rows[name] = bench_backend(backend, work, args)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    text_report, ok = report(rows, args)
    print(text_report)
    if args.json:
        args.json.write_text(json.dumps({
            name: [{app: vars(result) | {"rps": result.rps}
                    for app, result in (("bare", r.bare), ("ours", r.ours), ("floor", r.floor)) if result}
                   for r in rounds]
            for name, rounds in rows.items()}, indent=2))
    return 0 if ok else 1
