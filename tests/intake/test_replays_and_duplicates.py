"""Idempotency keys, 24-hour replays and de-duplication by email, including concurrent posts."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from crm.db import Database, utcnow
from crm.intake.service import IntakeRequest, receive_inquiry
from crm.models import Activity, Inquiry, Lead, ReplayedKey, Role, User
from crm.workspace.privacy import erase_person
from tests.intake.helpers import counts, lead_payload, post_json

both_backends = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def test_the_same_idempotency_key_and_body_replays_with_200(client: FlaskClient, db: Database) -> None:
    first = post_json(client, lead_payload(), headers={"Idempotency-Key": "form-42"})
    again = post_json(client, lead_payload(), headers={"Idempotency-Key": "form-42"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json == again.json
    assert counts(db)["inquiries"] == 1


def test_the_same_idempotency_key_with_another_body_is_422(client: FlaskClient, db: Database) -> None:
    post_json(client, lead_payload(), headers={"Idempotency-Key": "form-43"})
    response = post_json(client, lead_payload(message="different"), headers={"Idempotency-Key": "form-43"})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["errors"]  # type: ignore[index]
    assert counts(db)["inquiries"] == 1


def test_the_same_payload_from_the_same_email_within_24_hours_is_a_replay(
    client: FlaskClient, db: Database
) -> None:
    first = post_json(client, lead_payload())
    again = post_json(client, lead_payload())
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json == again.json
    assert counts(db) == {"leads": 1, "inquiries": 1, "consents": 1, "jobs": 1}


def test_the_same_payload_after_24_hours_is_a_new_inquiry(client: FlaskClient, db: Database) -> None:
    first = post_json(client, lead_payload())
    with db.transaction() as session:
        session.execute(update(Inquiry).values(received_at=utcnow() - timedelta(hours=25)))
    again = post_json(client, lead_payload())
    assert again.status_code == 201
    assert again.json["id"] == first.json["id"]  # type: ignore[index]
    assert again.json["inquiry_id"] != first.json["inquiry_id"]  # type: ignore[index]
    assert counts(db)["inquiries"] == 2


@both_backends
def test_a_second_inquiry_from_a_known_email_is_a_new_inquiry_on_the_same_lead(
    client: FlaskClient, db: Database
) -> None:
    first = post_json(client, lead_payload(occupation="Nurse"))
    second = post_json(client, lead_payload(email="AOIFE.MURPHY@Example.IE", occupation="Midwife",
                                            message="Also: my partner is a software developer."))
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json["id"] == second.json["id"]  # type: ignore[index]
    with db.session() as session:
        lead = session.get(Lead, first.json["id"])  # type: ignore[index]
        assert lead is not None and lead.facts["occupation"] == "Midwife"
        timeline = session.scalars(select(Activity.summary).where(Activity.lead_id == lead.id)
                                   .order_by(Activity.id)).all()
        assert timeline == ["First inquiry", "New inquiry from a known lead"]
    assert counts(db)["leads"] == 1 and counts(db)["inquiries"] == 2


def test_two_people_with_the_same_name_and_phone_are_never_merged(client: FlaskClient, db: Database) -> None:
    post_json(client, lead_payload(email="sam@example.com", first_name="Sam", phone="+1 416 555 0101"))
    post_json(client, lead_payload(email="sam.other@example.com", first_name="Sam", phone="+1 416 555 0101"))
    assert counts(db)["leads"] == 2


def _post_concurrently(app: Flask, bodies: list[bytes], headers: dict[str, str]) -> list[int]:
    statuses: list[int] = []
    barrier = threading.Barrier(len(bodies))
    lock = threading.Lock()

    def post(body: bytes) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/leads", data=body, content_type="application/json", headers=headers)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@both_backends
def test_20_concurrent_identical_posts_with_one_key_store_exactly_one_inquiry(app: Flask, db: Database) -> None:
    body = json.dumps(lead_payload()).encode()
    statuses = _post_concurrently(app, [body] * 20, {"Idempotency-Key": "burst-1"})
    assert sorted(statuses) == [200] * 19 + [201]
    assert counts(db) == {"leads": 1, "inquiries": 1, "consents": 1, "jobs": 1}


@both_backends
def test_20_concurrent_identical_posts_without_a_key_store_exactly_one_inquiry(app: Flask, db: Database) -> None:
    body = json.dumps(lead_payload()).encode()
    statuses = _post_concurrently(app, [body] * 20, {})
    assert sorted(statuses) == [200] * 19 + [201]
    assert counts(db)["inquiries"] == 1


@both_backends
def test_concurrent_different_inquiries_from_one_email_make_one_lead(app: Flask, db: Database) -> None:
    bodies = [json.dumps(lead_payload(message=f"question {i}")).encode() for i in range(10)]
    statuses = _post_concurrently(app, bodies, {})
    assert statuses == [201] * 10
    assert counts(db)["leads"] == 1 and counts(db)["inquiries"] == 10


@both_backends
def test_concurrent_posts_with_one_key_and_different_bodies_get_one_201_and_422s(app: Flask, db: Database) -> None:
    # The same person and payload in 20 byte forms: in sequence, the first is stored and every other
    # body under its key is a 422; concurrency (a twin committing while others wait) must not change that.
    payload = lead_payload()
    bodies = [json.dumps(payload, indent=indent).encode() for indent in [None, *range(19)]]
    assert len(set(bodies)) == 20
    statuses = _post_concurrently(app, bodies, {"Idempotency-Key": "burst-bodies"})
    assert sorted(statuses) == [201] + [422] * 19
    assert counts(db)["inquiries"] == 1


@both_backends
def test_a_key_first_seen_on_a_24_hour_replay_means_that_inquiry_from_then_on(
    client: FlaskClient, db: Database
) -> None:
    first = post_json(client, lead_payload())
    # The same payload, the email in another letter case (so other bytes), now under a key.
    keyed = lead_payload(email="Aoife.Murphy@EXAMPLE.ie")
    replay = post_json(client, keyed, headers={"Idempotency-Key": "late-key"})
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json == first.json
    other = post_json(client, lead_payload(message="A different question."), headers={"Idempotency-Key": "late-key"})
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json["errors"]  # type: ignore[index]
    again = post_json(client, keyed, headers={"Idempotency-Key": "late-key"})
    assert (again.status_code, again.json) == (200, first.json)
    assert counts(db) == {"leads": 1, "inquiries": 1, "consents": 1, "jobs": 1}


@both_backends
def test_a_key_first_seen_on_a_replay_still_holds_after_the_24_hours(client: FlaskClient, db: Database) -> None:
    first = post_json(client, lead_payload())
    post_json(client, lead_payload(), headers={"Idempotency-Key": "late-key-2"})
    with db.transaction() as session:
        session.execute(update(Inquiry).values(received_at=utcnow() - timedelta(hours=25)))
    again = post_json(client, lead_payload(), headers={"Idempotency-Key": "late-key-2"})
    assert (again.status_code, again.json) == (200, first.json)
    other = post_json(client, lead_payload(message="Later."), headers={"Idempotency-Key": "late-key-2"})
    assert other.status_code == 422
    assert counts(db)["inquiries"] == 1


@both_backends
def test_concurrent_replays_under_one_new_key_record_it_once(app: Flask, db: Database) -> None:
    body = json.dumps(lead_payload()).encode()
    assert app.test_client().post("/api/leads", data=body, content_type="application/json").status_code == 201
    statuses = _post_concurrently(app, [body] * 10, {"Idempotency-Key": "burst-late"})
    assert statuses == [200] * 10
    with db.session() as session:
        assert session.scalars(select(ReplayedKey.idempotency_key)).all() == ["burst-late"]
    assert counts(db)["inquiries"] == 1


def test_erasing_a_lead_forgets_the_keys_its_replays_recorded(client: FlaskClient, db: Database) -> None:
    first = post_json(client, lead_payload())
    post_json(client, lead_payload(), headers={"Idempotency-Key": "late-key-3"})
    with db.transaction() as session:
        admin = User(email="admin@firm.example", name="Admin", password_hash="x", role=Role.ADMIN.value)
        session.add(admin)
        session.flush()
        erase_person(session, session.get_one(Lead, first.json["id"]), admin)  # type: ignore[index]
    with db.session() as session:
        assert session.scalars(select(ReplayedKey)).all() == []
    # As for a key stored on the erased inquiry itself: nothing is left to replay.
    again = post_json(client, lead_payload(), headers={"Idempotency-Key": "late-key-3"})
    assert again.status_code == 201
    assert again.json["id"] != first.json["id"]  # type: ignore[index]


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_replay_recording_a_key_and_another_body_under_it_at_once_get_200_and_422(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    # The payload is on record without a key; one request replays it under a new key while another
    # sends a different body under that key. In sequence the second is a 422 whichever comes first.
    assert post_json(client, lead_payload()).status_code == 201
    keyed = json.dumps(lead_payload()).encode()
    replay = IntakeRequest(body=keyed, content_type="application/json", fields=json.loads(keyed),
                           idempotency_key="race-key")
    statuses: list[int] = []
    other = threading.Thread(target=lambda: statuses.append(app.test_client().post(
        "/api/leads", data=json.dumps(lead_payload(message="Another question")), content_type="application/json",
        headers={"Idempotency-Key": "race-key"}).status_code))
    with db.transaction() as session:
        assert receive_inquiry(session, replay).created is False  # recorded, not yet committed
        other.start()
        other.join(timeout=1.5)  # it waits for this transaction to end
        assert statuses == []
    other.join(timeout=30)
    assert statuses == [422]
    assert counts(db)["inquiries"] == 1
