"""Consultant queue benchmark: server time of the queue pages and the lead page at 1,000 and 1,000,000 leads.

Usage: .venv/bin/python -m bench.queue [--sizes 1000,1000000] [--repeat 30] [--keep]

Each size gets its own PostgreSQL database (migrated with the real migration), filled with COPY.
Times are measured in process around the Flask test client (server time: routing, queries,
template rendering), after warm-up; the baseline (1,000 leads) runs in the same process.

Like for like: one lead in MATCH_EVERY has the stream, nationality and language of the measured filters,
so every measured list page shows a full page of rows at every size (the run checks it and fails when a
page shows a different number of rows at two sizes, or none).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from crm import create_app, migrate
from crm.config import Settings
from crm.db import Database
from crm.jobs import NullDispatcher
from crm.models.lead import last_name_key
from crm.workspace import accounts

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
STREAMS = ["iec-working-holiday", "iec-young-professionals", "intra-company-transferee", "francophone-mobility",
           "free-trade-professional", "entrepreneur", "spousal-open-work-permit", "post-graduation-work-permit",
           "global-talent-stream", "needs-review"]
COUNTRIES = ["FR", "IE", "GB", "AU", "DE", "MX", "US", "BE", "KR", "JP", "IT", "ES", "CH", "NZ", "IN"]
STATUSES = ["classified"] * 5 + ["contacted"] * 2 + ["received", "consultation_booked", "retained", "lost", "spam"]
FIRST = ["aoife", "jean", "marie", "liam", "sofia", "kenji", "lucas", "emma", "noah", "chloe", "mateo", "ines"]
LAST = ["murphy", "dubois", "martin", "tanaka", "garcia", "smith", "rossi", "muller", "kim", "brown"]
CONSULTANTS = 8
# The measured filters, and the share of leads that match all three of them (the others are drawn at
# random like every other field). At 1,000 leads a share of 1 in 4 leaves 80 open leads that the
# signed-in consultant sees (with the default seed), so the combined filter fills its 50-row page at
# every size. It also makes that stream about a third of all leads, at every size.
FILTER_STREAM, FILTER_NATIONALITY, FILTER_LANGUAGE = "francophone-mobility", "FR", "fr"
MATCH_EVERY = 4


def _db_url(name: str) -> str:
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def create_database(name: str) -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _db_url(name)
    migrate.upgrade(url)
    return url


def fill(url: str, size: int, seed: int = 7) -> str:
    """COPY `size` leads (plus inquiries and activities for one lead in 20); returns a lead id to open."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    db = Database(url)
    with db.transaction() as session:
        for i in range(CONSULTANTS):
            accounts.create_user(session, f"consultant{i}@bench.example", "consultant", "bench-password-1")
    db.dispose()
    sample_id = ""
    with psycopg.connect(url.replace("postgresql://", "postgresql://", 1)) as conn:
        lead_buf, inq_buf, act_buf = io.StringIO(), io.StringIO(), io.StringIO()
        for n in range(size):
            lead_id = str(uuid.UUID(int=rng.getrandbits(128)))
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}{n}@example.org"
            received = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 120))
            status = rng.choice(STATUSES)
            assignee = rng.choice([r"\N"] * 3 + [str(i + 1) for i in range(CONSULTANTS)])
            stream, country, language = rng.choice(STREAMS), rng.choice(COUNTRIES), rng.choice(["en", "fr"])
            if n % MATCH_EVERY == 0:
                stream, country, language = FILTER_STREAM, FILTER_NATIONALITY, FILTER_LANGUAGE
            citizenships = json.dumps([country])
            lead_buf.write("\t".join([
                lead_id, email, email, first.title(), last.title(), citizenships, "[]", language,
                "{}", status, received.isoformat(), stream, str(rng.randrange(0, 101)), assignee,
                received.isoformat(), received.isoformat(), received.isoformat(), received.isoformat(),
                uuid.UUID(int=rng.getrandbits(128)).hex, "0", f"{first} {last} {email}", last_name_key(last.title()),
            ]) + "\n")
            if n % 20 == 0:
                body = json.dumps({"first_name": first, "email": email, "message": "Hello <b>there</b>"})
                inq_buf.write("\t".join([str(uuid.UUID(int=rng.getrandbits(128))), lead_id, received.isoformat(),
                                         "\\\\x" + body.encode().hex(), "application/json", "{}",
                                         body.replace("\\", "\\\\"), "{}", uuid.uuid4().hex, "en",
                                         "f", ]) + "\n")
                act_buf.write("\t".join([lead_id, received.isoformat(), "inquiry", "First inquiry", "{}"]) + "\n")
                sample_id = sample_id or lead_id
        with conn.cursor() as cur:
            with cur.copy("COPY leads (id, email, email_key, first_name, last_name, citizenships, unknown_countries, "
                          "preferred_language, facts, status, status_changed_at, primary_stream, score, assignee_id, "
                          "first_inquiry_at, last_inquiry_at, created_at, updated_at, reply_token, notes_count, "
                          "search_text, last_name_key) FROM STDIN") as copy:
                copy.write(lead_buf.getvalue())
            with cur.copy("COPY inquiries (id, lead_id, received_at, raw_body, content_type, headers, payload, "
                          "normalised, request_hash, language, is_spam) FROM STDIN") as copy:
                copy.write(inq_buf.getvalue())
            with cur.copy("COPY activities (lead_id, at, kind, summary, data) FROM STDIN") as copy:
                copy.write(act_buf.getvalue())
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return sample_id


def existing_sample(name: str, size: int) -> str | None:
    """A lead with an inquiry in a kept database holding `size` leads, else None."""
    try:
        with psycopg.connect(_db_url(name)) as conn:
            count = conn.execute("SELECT count(*) FROM leads").fetchone()
            row = conn.execute("SELECT lead_id FROM inquiries ORDER BY received_at LIMIT 1").fetchone()
    except psycopg.OperationalError:
        return None
    return str(row[0]) if count and count[0] == size and row else None


def _client(url: str) -> Any:
    settings = Settings.from_env({"CRM_ENV": "test", "CRM_SECRET_KEY": "bench", "CRM_DATABASE_URL": url,
                                  "CRM_RATE_LIMIT": "off"})
    db = Database(url)
    app = create_app(settings, database=db, dispatcher=NullDispatcher())
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    response = client.post("/login", data={"email": "consultant0@bench.example", "password": "bench-password-1"})
    assert response.status_code == 302, response.status_code
    return client


def _pages(client: Any, lead_id: str) -> dict[str, str]:
    first = client.get("/leads").get_data(as_text=True)
    start = first.find("after=")
    return {
        "default queue page": "/leads",
        "stream tab (stream filter)": f"/leads?stream={FILTER_STREAM}",
        "filtered page (stream + nationality + language)":
            f"/leads?stream={FILTER_STREAM}&nationality={FILTER_NATIONALITY}&language={FILTER_LANGUAGE}",
        "second page (keyset)": "/leads?" + first[start:first.find('"', start)].replace("&amp;", "&"),
        "search (last name prefix)": "/leads?q=tanak&scope=all",
        "lead page": f"/leads/{lead_id}",
        "stream counts (/leads/counts, loaded by the page)": "/leads/counts",
    }


# The pages that list leads: each must show the same number of rows at every size.
LIST_PAGES = ("default queue page", "stream tab (stream filter)", "filtered page (stream + nationality + language)",
              "second page (keyset)", "search (last name prefix)")


def measure(targets: dict[int, tuple[str, str]],
            repeat: int) -> tuple[dict[int, dict[str, tuple[float, float]]], dict[str, dict[int, int]]]:
    """Time every page on every database, interleaving the sizes so that load on the machine
    affects the baseline and the large database alike. Also returns the rows each list page showed."""
    clients = {size: _client(url) for size, (url, _) in targets.items()}
    pages = {size: _pages(clients[size], lead_id) for size, (_, lead_id) in targets.items()}
    labels = list(next(iter(pages.values())))
    times: dict[int, dict[str, list[float]]] = {size: {label: [] for label in labels} for size in targets}
    for label in labels:
        for size in targets:
            for _ in range(3):  # warm-up
                assert clients[size].get(pages[size][label]).status_code == 200, pages[size][label]
        for _ in range(repeat):
            for size in targets:
                started = time.perf_counter()
                response = clients[size].get(pages[size][label])
                times[size][label].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
    rows: dict[str, dict[int, int]] = {label: {} for label in LIST_PAGES}
    for size in targets:
        for label in LIST_PAGES:
            html = clients[size].get(pages[size][label]).get_data(as_text=True)
            rows[label][size] = html.count('name="lead_ids"')
            print(f"{size:>9,}  {label:<50} {rows[label][size]} rows on the page", flush=True)
    results: dict[int, dict[str, tuple[float, float]]] = {}
    for size, by_label in times.items():
        results[size] = {}
        for label, values in by_label.items():
            values.sort()
            results[size][label] = (statistics.median(values), values[max(int(len(values) * 0.95) - 1, 0)])
    return results, rows


def unlike(rows: dict[str, dict[int, int]]) -> list[str]:
    """The list pages that are not a like-for-like comparison: no rows, or different counts across sizes."""
    return [f"{label}: {counts}" for label, counts in rows.items()
            if min(counts.values()) == 0 or len(set(counts.values())) > 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,1000000")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="Keep the databases afterwards.")
    parser.add_argument("--reuse", action="store_true", help="Measure databases kept by an earlier --keep run.")
    parser.add_argument("--db-prefix", default="crm_bench_queue",
                        help="Database names are <prefix>_<size> (make it unique on a shared server).")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    targets: dict[int, tuple[str, str]] = {}
    for size in sizes:
        name = f"{args.db_prefix}_{size}"
        started = time.perf_counter()
        lead_id = existing_sample(name, size) if args.reuse else None
        if lead_id is None:
            lead_id = fill(create_database(name), size)
            print(f"filled {size:,} leads in {time.perf_counter() - started:.0f} s", flush=True)
        targets[size] = (_db_url(name), lead_id)
    print(f"load average before measuring: {os.getloadavg()[0]:.1f} (2 cores)", flush=True)
    all_results, rows = measure(targets, args.repeat)
    print(f"load average after measuring: {os.getloadavg()[0]:.1f}", flush=True)
    for size in sizes:
        for label, (median, p95) in all_results[size].items():
            print(f"{size:>9,}  {label:<50} median {median:6.1f} ms  p95 {p95:6.1f} ms", flush=True)
    if not args.keep:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            for size in sizes:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.db_prefix}_{size}" WITH (FORCE)')
    if len(sizes) >= 2:
        base, big = all_results[sizes[0]], all_results[sizes[-1]]
        print(f"\n| page | {sizes[0]:,} leads (median / p95 ms) | {sizes[-1]:,} leads (median / p95 ms) | ratio |")
        print("|---|---|---|---|")
        for label in base:
            ratio = big[label][0] / base[label][0]
            shown = f" ({rows[label][sizes[0]]} rows)" if label in rows else ""
            print(f"| {label}{shown} | {base[label][0]:.1f} / {base[label][1]:.1f} "
                  f"| {big[label][0]:.1f} / {big[label][1]:.1f} | {ratio:.2f}x |")
    problems = unlike(rows)
    if problems:
        raise SystemExit("not a like-for-like comparison (rows per size): " + "; ".join(problems))


if __name__ == "__main__":
    main()
