"""The OpenAPI document: valid 3.1, generated from the models that validate the requests,
covering every API route; and the reference page rendered from it."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from portal.api import problems
from tests.factories import login

PROBLEM = "application/problem+json"


def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3_1_and_needs_no_key(client):
    spec = document(client)
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key",
    }
    assert spec["security"] == [{"bearer": []}]


def test_every_api_route_and_method_is_documented(app, client):
    spec = document(client)
    documented = {
        (method.upper(), path) for path, methods in spec["paths"].items() for method in methods
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint not in (
            "api.openapi",
            "api.reference",
        ):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served


def test_errors_are_documented_as_problem_documents(client):
    spec = document(client)
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            answers = operation["responses"]
            assert {"401", "404", "429", "500"} <= set(answers), (method, path)
            for status, answer in answers.items():
                if int(status) >= 400:
                    assert list(answer["content"]) == [PROBLEM], (method, path, status)


def test_the_request_models_are_the_validating_ones(client):
    schemas = document(client)["components"]["schemas"]
    export_in = schemas["ExportIn"]
    assert export_in["additionalProperties"] is False
    assert export_in["properties"]["record_ids"]["maxItems"] == 1000
    assert export_in["allOf"] == [
        {"oneOf": [{"required": ["record_ids"]}, {"required": ["filter"]}]},
        {"oneOf": [{"required": ["project"]}, {"required": ["project_ids"]}]},
    ]
    assert schemas["ExportOptionsIn"]["properties"]["paper"]["enum"] == ["A4", "Letter"]
    assert set(schemas["ExportOut"]["properties"]["state"]["enum"]) == {
        "pending",
        "processing",
        "completed",
        "failed",
        "cancelled",
        "expired",
        "revoked",
    }


def test_the_reference_page_lists_operations_models_and_problem_types(client):
    response = client.get("/api/v1/reference")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script" not in page.split("</head>", 1)[1]
    assert 'id="op-create_export"' in page and "/api/v1/exports/{public_id}/download" in page
    assert 'id="schema-ExportOut"' in page
    for kind in problems.TYPES.values():
        assert f'id="problem-{kind.slug}"' in page


def test_the_reference_page_reads_no_session(client, world):
    login(client, "member@acme.test")
    page = client.get("/api/v1/reference").get_data(as_text=True)
    assert "Log out" not in page and world.member_a.name not in page
