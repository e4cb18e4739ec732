"""/api/openapi.json stays true: valid OpenAPI 3.1, every documented route exists and every API route is
documented, the intake schema matches the validation model, and real responses match their schemas."""

from __future__ import annotations

import json
import re
import typing
from typing import Any

import jsonschema
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from crm.intake.schema import IntakeFields
from tests.intake.helpers import lead_payload

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def _spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.json  # type: ignore[assignment]
    return spec


def _documented(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(re.sub(r"\{(\w+)\}", r"<\1>", path), method.upper())
            for path, item in spec["paths"].items() for method in item if method in HTTP_METHODS}


def _served(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
        if path.startswith("/api/") or path in {"/healthz", "/readyz"}:
            routes |= {(path, m) for m in (rule.methods or set()) if m.lower() in HTTP_METHODS}
    return routes


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    spec = _spec(client)
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_documented_operation_is_served_and_every_api_route_is_documented(
    app: Flask, client: FlaskClient
) -> None:
    documented, served = _documented(_spec(client)), _served(app)
    assert documented - served == set(), "documented but not served"
    assert served - documented == set(), "served but not documented"


def test_the_intake_schema_lists_exactly_the_validated_fields(client: FlaskClient) -> None:
    schema = _spec(client)["components"]["schemas"]["LeadIntake"]
    assert set(schema["properties"]) == set(IntakeFields.model_fields)
    required = {name for name, field in IntakeFields.model_fields.items() if field.is_required()}
    assert set(schema["required"]) == required


def test_enumerations_match_the_validation_model(client: FlaskClient) -> None:
    schemas = _spec(client)["components"]["schemas"]
    properties = schemas["LeadIntake"]["properties"]

    def literal_values(name: str) -> set[str]:
        for arg in typing.get_args(IntakeFields.model_fields[name].annotation):
            if typing.get_origin(arg) is typing.Literal:
                return set(typing.get_args(arg))
        raise AssertionError(f"{name} is not a Literal")

    for name in ("preferred_language", "interest", "spouse_status_in_canada"):
        assert set(properties[name]["enum"]) == literal_values(name), name
    assert set(schemas["Ability"]["enum"]) == literal_values("french_ability")


def _response_schema(spec: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    response = spec["paths"][path][method]["responses"][status]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = response["content"]["application/json"]["schema"]
    return {**schema, "components": spec["components"]}


def test_real_intake_responses_match_their_documented_schemas(client: FlaskClient) -> None:
    spec = _spec(client)
    created = client.post("/api/leads", data=json.dumps(lead_payload()), content_type="application/json")
    invalid = client.post("/api/leads", data=json.dumps({"email": "x"}), content_type="application/json")
    for response in (created, invalid):
        schema = _response_schema(spec, "/api/leads", "post", str(response.status_code))
        jsonschema.validate(response.json, schema)


def test_real_api_responses_match_their_documented_schemas(client: FlaskClient, db: Any) -> None:
    from crm.workspace import accounts

    spec = _spec(client)
    with db.transaction() as session:
        user = accounts.create_user(session, "api@firm.example", "admin", "a long enough password")
        token = accounts.create_token(session, user)
    auth = {"Authorization": f"Bearer {token}"}
    lead_id = client.post("/api/leads", data=json.dumps(lead_payload()), content_type="application/json").json["id"]  # type: ignore[index]
    one, events = f"/api/leads/{lead_id}", f"/api/leads/{lead_id}/events"
    calls = [
        ("/api/leads", "get", client.get("/api/leads", headers=auth)),
        ("/api/leads/{lead_id}", "get", client.get(one, headers=auth)),
        ("/api/leads/{lead_id}", "get", client.get("/api/leads/nope", headers=auth)),
        ("/api/leads/{lead_id}", "patch", client.patch(one, json={"status": "contacted"}, headers=auth)),
        ("/api/leads/{lead_id}", "patch", client.patch(one, json={"colour": "red"}, headers=auth)),
        ("/api/leads/{lead_id}/events", "post", client.post(events, json={"type": "reply"}, headers=auth)),
        ("/api/leads/{lead_id}/events", "post", client.post(events, json={"type": "x"}, headers=auth)),
        ("/api/leads", "get", client.get("/api/leads")),
    ]
    for path, method, response in calls:
        documented = spec["paths"][path][method]["responses"]
        assert str(response.status_code) in documented, (path, method, response.status_code)
        jsonschema.validate(response.json, _response_schema(spec, path, method, str(response.status_code)))


def test_every_field_of_the_lead_responses_is_documented(client: FlaskClient, db: Any) -> None:
    from crm.workspace import accounts

    schemas = _spec(client)["components"]["schemas"]
    with db.transaction() as session:
        user = accounts.create_user(session, "fields@firm.example", "admin", "a long enough password")
        token = accounts.create_token(session, user)
    auth = {"Authorization": f"Bearer {token}"}
    lead_id = client.post("/api/leads", data=json.dumps(lead_payload()), content_type="application/json").json["id"]  # type: ignore[index]
    one = client.get(f"/api/leads/{lead_id}", headers=auth).json
    row = client.get("/api/leads?scope=all&status=any", headers=auth).json["leads"][0]  # type: ignore[index]
    assert "message_citizenships" in one and "message_citizenships" in row  # type: ignore[operator]
    assert set(one) <= set(schemas["Lead"]["properties"]), set(one) - set(schemas["Lead"]["properties"])  # type: ignore[arg-type]
    assert set(row) <= set(schemas["LeadSummary"]["properties"])
