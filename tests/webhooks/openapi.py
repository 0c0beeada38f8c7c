"""A webhook body checked against the `webhooks` of the served OpenAPI document, as a
receiver generated from that document would read it (OpenAPI 3.1's JSON Schema dialect)."""

from __future__ import annotations

import json

from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "urn:sitepack:openapi"


def assert_valid_webhook(client, body: bytes) -> dict:
    """The body as the document's webhook for its `type` describes it; answers the event."""
    spec = client.get("/api/v1/openapi.json").get_json()
    event = json.loads(body)
    operation = spec["webhooks"][event["type"]]["post"]
    pointer = f"#/webhooks/{event['type']}/post/requestBody/content/application~1json/schema"
    assert operation["requestBody"]["content"]["application/json"]["schema"]
    registry = Registry().with_resource(
        BASE, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    validator = OAS31Validator(
        {"$ref": BASE + pointer}, registry=registry, format_checker=OAS31Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(event)]
    assert errors == []
    return event
