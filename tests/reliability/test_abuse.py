"""Abuse against the real web processes (gunicorn, 2 workers): a flooding client is limited while
others are served; forged, altered and replayed signed requests are refused and write nothing."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from crm.intake.security import sign
from tests import services
from tests.reliability.web_process import Web, running_web

LIMIT = 20
SECRET = "whsec_reliability_0123456789abcdef"
TABLES = ("leads", "inquiries", "jobs", "consent_records", "activities")


def lead(index: int, tag: str) -> dict[str, object]:
    return {"first_name": f"Abuse{index}", "email": f"{tag}{index}@example.org", "citizenships": ["FR"], "age": 25}


def limiter_storage() -> str:
    """A Redis database of its own, shared by both web workers (as in production), flushed first."""
    parts = urlsplit(services.redis_url())
    url = urlunsplit(parts._replace(path="/12"))
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    return url


@pytest.fixture
def limited_web(tmp_path: Path) -> Iterator[Web]:
    with running_web(tmp_path, CRM_RATE_LIMIT=f"{LIMIT}/hour", CRM_RATE_LIMIT_STORAGE=limiter_storage(),
                     CRM_TRUSTED_PROXIES="1") as web:
        yield web


@pytest.mark.redis
def test_a_client_sending_10x_the_limit_gets_429_while_another_is_served(limited_web: Web) -> None:
    # Given one client sending ten times its limit and another staying within it, at the same time
    abuser, neighbour = "203.0.113.10", "198.51.100.7"
    jobs = [(abuser, lead(i, "abuser")) for i in range(10 * LIMIT)]
    jobs += [(neighbour, lead(i, "neighbour")) for i in range(LIMIT)]
    random.Random(6).shuffle(jobs)

    def post(job: tuple[str, dict[str, object]]) -> tuple[str, int]:
        client, payload = job
        status, _ = limited_web.request("POST", "/api/leads", json.dumps(payload).encode(),
                                        {"Content-Type": "application/json", "X-Forwarded-For": client})
        return client, status

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, jobs))

    abuser_statuses = Counter(status for client, status in results if client == abuser)
    neighbour_statuses = Counter(status for client, status in results if client == neighbour)
    print(f"\n[abuse-rate-limit] abuser={dict(abuser_statuses)} neighbour={dict(neighbour_statuses)}")
    # Then the neighbour is served every time
    assert neighbour_statuses == {201: LIMIT}
    # and the abuser gets its limit across both web workers (one more window if the hour turned), then 429s
    assert set(abuser_statuses) == {201, 429}
    assert LIMIT <= abuser_statuses[201] <= 2 * LIMIT
    assert abuser_statuses[429] == 10 * LIMIT - abuser_statuses[201]
    # and nothing refused was stored
    assert limited_web.rows("leads") == abuser_statuses[201] + LIMIT


@pytest.fixture
def signed_web(tmp_path: Path) -> Iterator[Web]:
    with running_web(tmp_path, CRM_WEBHOOK_SECRET=SECRET) as web:
        yield web


def bad_requests(count: int) -> list[tuple[str, bytes, dict[str, str]]]:
    """(kind, body, headers): forged, altered, replayed (captured long ago) and malformed signatures."""
    rng = random.Random(1000)
    now = int(time.time())
    made: list[tuple[str, bytes, dict[str, str]]] = []
    for i in range(count):
        body = json.dumps(lead(i, "forged")).encode()
        kind = ("forged", "altered", "replayed", "future", "malformed", "missing", "wrong-scheme")[i % 7]
        if kind == "forged":
            signature = sign(f"guess-{rng.random()}", body)
        elif kind == "altered":
            signature = sign(SECRET, body)
            body = body.replace(b'"age": 25', b'"age": 26') if i % 2 else body + b" "
        elif kind == "replayed":
            signature = sign(SECRET, body, now - 301 - rng.randrange(86_400))
        elif kind == "future":
            signature = sign(SECRET, body, now + 301 + rng.randrange(86_400))
        elif kind == "malformed":
            valid = sign(SECRET, body)
            signature = rng.choice([valid[:-1], valid.replace("v1=", "v2="), valid.replace("t=", "ts="),
                                    "t=abc,v1=00", valid + "ff", valid.split(",")[1]])
        elif kind == "wrong-scheme":
            signature = "sha256=" + sign(SECRET, body).split("v1=")[1]
        else:
            signature = ""
        headers = {"Content-Type": "application/json", "Idempotency-Key": f"bad-{i}"}
        if signature:
            headers["X-CRM-Signature"] = signature
        made.append((kind, body, headers))
    return made


def test_1000_forged_altered_or_replayed_signed_requests_are_refused_and_write_nothing(signed_web: Web) -> None:
    requests = bad_requests(1000)

    def post(item: tuple[str, bytes, dict[str, str]]) -> tuple[str, int]:
        kind, body, headers = item
        return kind, signed_web.request("POST", "/api/leads", body, headers)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, requests))

    by_kind = Counter(kind for kind, _ in results)
    statuses = Counter(status for _, status in results)
    rows = {table: signed_web.rows(table) for table in TABLES}
    print(f"\n[abuse-signatures] sent={len(results)} kinds={dict(by_kind)} statuses={dict(statuses)} rows={rows}")
    assert statuses == {401: 1000}
    assert rows == dict.fromkeys(TABLES, 0)


def test_a_captured_valid_request_replayed_within_the_window_stores_nothing_new(signed_web: Web) -> None:
    # A correctly signed request, captured and sent again 99 times while its signature is still fresh:
    # the contract answers 200 (the earlier result) and stores nothing new.
    body = json.dumps(lead(1, "captured")).encode()
    headers = {"Content-Type": "application/json", "X-CRM-Signature": sign(SECRET, body)}
    statuses = Counter(signed_web.request("POST", "/api/leads", body, headers)[0] for _ in range(100))
    assert statuses == {201: 1, 200: 99}
    assert (signed_web.rows("leads"), signed_web.rows("inquiries"), signed_web.rows("jobs")) == (1, 1, 1)
