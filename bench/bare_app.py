"""The baseline for bench/intake: a bare Flask endpoint doing one ORM insert and commit.

It uses the same `crm.db.Database` (engine and pool settings, SQLite WAL + BEGIN IMMEDIATE) as the
application, and its row has a few columns like an inquiry's, including a JSON column holding the
parsed body. Nothing else: no validation, no signature, no de-duplication.

Run by bench/intake.py under gunicorn as `bench.bare_app:create_app()` with BENCH_DATABASE_URL set.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy import Engine, LargeBinary, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crm.db import Database, JSONType, UTCDateTime, new_id, utcnow


class BareBase(DeclarativeBase):
    # Its own metadata: the bench table never enters the application's schema or migrations.
    metadata = MetaData()


class BareRow(BareBase):
    __tablename__ = "bench_bare_rows"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    raw_body: Mapped[bytes] = mapped_column(LargeBinary)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


def create_table(engine: Engine) -> None:
    BareBase.metadata.create_all(engine)


def create_app(database_url: str | None = None) -> Flask:
    database = Database(database_url or os.environ["BENCH_DATABASE_URL"])
    app = Flask(__name__)

    @app.post("/bare")
    def insert() -> tuple[Response, int]:
        body = request.get_data()
        payload = request.get_json(force=True)
        with database.transaction() as session:
            row = BareRow(email=str(payload.get("email", "")), raw_body=body, payload=payload)
            session.add(row)
        return jsonify({"id": row.id, "status": "received"}), 201

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    return app
