"""GET /api/openapi.json: the public API's OpenAPI 3.1 description (crm/data/openapi.yaml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, jsonify

SPEC_FILE = Path(__file__).parent / "data" / "openapi.yaml"

bp = Blueprint("api_docs", __name__)


@cache
def openapi_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    return spec


@bp.get("/api/openapi.json")
def openapi_json() -> Any:
    return jsonify(openapi_spec())
