"""Profile the intake path in one process, without HTTP: `python -m bench.intake.profile`.

Posts signed, distinct inquiries through the Flask test client (and the bare insert and the floor app
beside it) and prints the mean CPU time per request for each, then the top of a cProfile of ours. A
quicker and steadier loop than the full gunicorn + wrk run when working on the code path itself.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.bare_app import create_app as create_bare_app
from bench.bare_app import create_table
from bench.floor_app import create_app as create_floor_app
from bench.intake.payloads import bodies
from bench.sender import SENDER_ENV
from crm import create_app, migrate
from crm.config import Settings
from crm.db import Database
from crm.intake.security import sign
from crm.jobs import NullDispatcher

SECRET = "bench-webhook-secret"
PG_DATABASE = "crm_bench_intake_profile"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=40, help="0: no cProfile run")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-intake-profile-"))
    admin = None
    try:
        if args.backend == "sqlite":
            url = f"sqlite:///{work / 'crm.sqlite3'}"
        else:
            admin_url = make_url(args.postgres_url).set(drivername="postgresql+psycopg")
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
            url = admin_url.set(database=PG_DATABASE).render_as_string(hide_password=False)
        migrate.upgrade(url)
        database = Database(url)
        create_table(database.engine)
        settings = Settings.from_env({
            "CRM_ENV": "production", "CRM_DATABASE_URL": url, "CRM_SECRET_KEY": "bench-" + "x" * 40,
            "CRM_WEBHOOK_SECRET": SECRET, "CRM_RATE_LIMIT": "off", "CRM_VAR_DIR": str(work / "var"),
            "CRM_MAIL_URL": f"file://{work / 'outbox'}", **SENDER_ENV,
        })
        ours = create_app(settings, database=database, dispatcher=NullDispatcher()).test_client()
        bare = create_bare_app(url).test_client()
        floor = create_floor_app(url).test_client()  # our tables: it writes our new-lead rows
        run = uuid.uuid4().hex[:8]

        def post_ours(body: bytes) -> None:
            response = ours.post("/api/leads", data=body, content_type="application/json",
                                 headers={"X-CRM-Signature": sign(SECRET, body), "Accept": "application/json"})
            assert response.status_code == 201, (response.status_code, response.get_data(as_text=True))

        def post_bare(body: bytes) -> None:
            response = bare.post("/bare", data=body, content_type="application/json")
            assert response.status_code == 201, response.status_code

        def post_floor(body: bytes) -> None:
            response = floor.post("/floor", data=body, content_type="application/json")
            assert response.status_code == 201, response.status_code

        # Interleaved chunks and CPU time (not wall time): other processes on the machine add less noise.
        totals = {"bare": 0.0, "floor": 0.0, "ours": 0.0}
        for body in bodies(f"warm{run}", 200):
            post_bare(body)
            post_ours(body)
        for body in bodies(f"warmfloor{run}", 200):
            post_floor(body)
        batches = {name: list(bodies(f"{name}{run}", args.requests)) for name in totals}
        for start in range(0, args.requests, 100):
            for post, name in ((post_bare, "bare"), (post_floor, "floor"), (post_ours, "ours")):
                began = time.process_time()
                for body in batches[name][start:start + 100]:
                    post(body)
                totals[name] += time.process_time() - began
        for name, total in totals.items():
            print(f"{name}: {total / args.requests * 1000:.3f} ms CPU/request ({args.requests} requests)")
        print(f"CPU ratio ours/bare: {totals['ours'] / totals['bare']:.2f}, floor/bare: "
              f"{totals['floor'] / totals['bare']:.2f}, ours/floor: {totals['ours'] / totals['floor']:.2f}")

        if args.top:
            profiler = cProfile.Profile()
            batch = list(bodies(f"prof{run}", args.requests))
            profiler.enable()
            for body in batch:
                post_ours(body)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
        database.dispose()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
