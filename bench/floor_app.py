"""A second baseline for bench/intake: the rows our intake writes for a new lead, and nothing else.

The issue's target compares our intake with a bare endpoint that inserts one row. This app measures
what the required writes alone cost: the lead, inquiry, consent record, timeline entry and job our
intake writes for a new person, in one transaction, with the intake's own SQL (captured once at start
from `crm.intake.service`'s new-lead path) run on the driver's cursor with fresh ids per request. No
validation, normalisation, signature check, de-duplication probe, logging or ORM: no code of ours can
take in a new lead faster than this, so its ratio to the bare insert is a ceiling for ours.

Run by bench/intake/run.py under gunicorn as `bench.floor_app:create_app()` with BENCH_DATABASE_URL set
to a database migrated like ours.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from typing import Any

from flask import Flask, Response, jsonify, request

from crm.db import Database, new_id
from crm.intake import driver, service
from crm.intake.parsing import parse_json
from crm.intake.service import IntakeRequest

# A valid inquiry like the benchmark's (bench/intake/payloads.py), prepared once to capture the SQL.
_SAMPLE = {
    "first_name": "Aoife", "last_name": "Murphy", "email": "floor.sample@leads.example.com",
    "phone": "+353 85 123 4567", "citizenships": ["Ireland"], "country_of_residence": "Ireland",
    "date_of_birth": "1998-04-12", "preferred_language": "en", "interest": "work", "consent_marketing": True,
    "consent_text": "Yes, send me emails about work permits and programs. I can unsubscribe at any time.",
}


class Template:
    """One statement of the new-lead path and its parameter values, with the per-lead ones marked."""

    def __init__(self, sql: str, names: list[str], values: tuple[Any, ...] | dict[str, Any]) -> None:
        self.sql = sql
        self.positional = isinstance(values, tuple)
        self.names = names
        self.values = list(values) if isinstance(values, tuple) else [values[name] for name in names]

    def parameters(self, swap: dict[str, str]) -> tuple[Any, ...] | dict[str, Any]:
        """The values with every per-lead string (ids, email, keys), alone or inside JSON, swapped."""
        out = []
        for value in self.values:
            if isinstance(value, str):
                value = swap[value] if value in swap else _swapped_json(value, swap)
            elif type(value).__name__ == "Jsonb":  # psycopg's wrapper of PostgreSQL JSONB values
                value = type(value)(json.loads(_swapped_json(json.dumps(value.obj), swap)))
            out.append(value)
        return tuple(out) if self.positional else dict(zip(self.names, out, strict=True))


def _swapped_json(value: str, swap: dict[str, str]) -> str:
    if value.startswith(("{", "[")):
        for old, new in swap.items():
            value = value.replace(old, new)
    return value


def capture(database: Database) -> tuple[list[Template], dict[str, str]]:
    """The new-lead statements for the sample, run once in a transaction that is rolled back."""
    body = json.dumps(_SAMPLE).encode()
    intake = IntakeRequest(body=body, content_type="application/json", fields=parse_json(body))
    prepared = intake.prepare()
    data, key = prepared.outcome  # type: ignore[misc]
    templates: list[Template] = []
    original = driver._Compiled.parameters

    def recording(compiled: driver._Compiled, values: dict[str, Any]) -> Any:
        parameters = original(compiled, values)
        templates.append(Template(compiled.sql, [name for name, _ in compiled.plan], parameters))
        return parameters

    with database.engine.connect() as connection, connection.begin() as transaction:
        lead = service._new_lead_values(data, "en", service.utcnow(), is_spam=False)
        inquiry, consent, activity = service._inquiry_rows(
            intake, prepared, data, key, lead["id"], "en", [], is_new_lead=True, is_spam=False,
            now=service.utcnow())
        job = service.job_values("classify_lead", lead["id"], {"lead_id": lead["id"], "trigger": "intake"})
        driver._Compiled.parameters = recording  # type: ignore[method-assign]
        try:
            service._insert_new_lead(connection, lead, inquiry, consent, activity, job)
        finally:
            driver._Compiled.parameters = original  # type: ignore[method-assign]
        transaction.rollback()
    lead_values = dict(zip(templates[0].names, templates[0].values, strict=True))
    per_lead = {"lead": lead["id"], "inquiry": inquiry["id"], "email": lead["email"],
                "email_key": lead["email_key"], "reply_token": lead_values["lead_reply_token"],
                "dedupe_key": key, "request_hash": prepared.request_hash}
    return templates, per_lead


def create_app(database_url: str | None = None) -> Flask:
    database = Database(database_url or os.environ["BENCH_DATABASE_URL"])
    templates, sample = capture(database)
    app = Flask(__name__)

    @app.post("/floor")
    def insert() -> tuple[Response, int]:
        body = request.get_data()
        payload = request.get_json(force=True)
        email = str(payload.get("email", ""))
        lead_id, inquiry_id = new_id(), new_id()
        digest = hashlib.sha256(body).hexdigest()
        swap = {sample["lead"]: lead_id, sample["inquiry"]: inquiry_id, sample["email"]: email,
                sample["email_key"]: email.casefold(), sample["reply_token"]: secrets.token_hex(16),
                sample["dedupe_key"]: digest, sample["request_hash"]: digest}
        with database.engine.begin() as connection:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                for template in templates:
                    cursor.execute(template.sql, template.parameters(swap))
            finally:
                cursor.close()
        return jsonify({"id": lead_id, "inquiry_id": inquiry_id, "status": "received"}), 201

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    return app
