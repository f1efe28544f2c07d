"""The OpenAPI description stays in step with the routes: the same paths, every documented
parameter accepted, nothing undocumented accepted."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.api.openapi import openapi_document
from surveyapp.models import IndicatorSnapshot

from .conftest import Api


def _rule_paths(app: Flask) -> dict[str, set[str]]:
    """The api blueprint's routes as OpenAPI paths, with their methods."""
    return {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule): set(rule.methods or ())
        - {"HEAD", "OPTIONS"}
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }


def test_the_paths_are_exactly_the_routes(app: Flask) -> None:
    document = openapi_document()
    rules = _rule_paths(app)
    assert set(document["paths"]) == set(rules)
    for path, methods in rules.items():
        assert {method.upper() for method in document["paths"][path]} == methods == {"GET"}
        path_parameters = set(re.findall(r"{(\w+)}", path))
        documented = {
            p["name"] for p in document["paths"][path]["get"]["parameters"] if p["in"] == "path"
        }
        assert documented == path_parameters, path


def test_the_document_is_served_and_describes_the_security_and_errors(small_api: Api) -> None:
    body = small_api.json("/api/v1/openapi.json", "anonymous")
    assert body == openapi_document()
    assert body["openapi"].startswith("3.1")
    assert body["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token.",
    }
    assert body["security"] == [{"bearer": []}]
    error = body["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["status", "message"]
    for path, item in body["paths"].items():
        responses = item["get"]["responses"]
        assert "200" in responses and {"400", "405", "429", "500"} <= set(responses), path
        if path.endswith("openapi.json"):
            assert item["get"]["security"] == []
        else:
            assert {"401", "404"} <= set(responses), path
        for reference in responses.values():
            if "$ref" in reference:
                name = reference["$ref"].rsplit("/", 1)[1]
                assert name in body["components"]["responses"]
    names = body["components"]["schemas"]["Names"]
    assert names["required"] == ["kk", "ru", "en"]


def test_every_documented_parameter_is_accepted_and_nothing_else(
    session: Session, demo_api: Api
) -> None:
    snapshot = session.scalars(select(IndicatorSnapshot.id)).one()
    document = openapi_document()
    for path, item in document["paths"].items():
        parameters = item["get"]["parameters"]
        url = path.replace("{snapshot_id}", str(snapshot))
        required = {p["name"]: p["example"] for p in parameters if p.get("required")}
        required.pop("snapshot_id", None)
        base = "&".join(f"{name}={value}" for name, value in required.items())
        for parameter in parameters:
            if parameter["in"] != "query":
                continue
            query = {**required, parameter["name"]: parameter["example"]}
            target = url + "?" + "&".join(f"{name}={value}" for name, value in query.items())
            response = demo_api.get(target, "admin-1")
            assert response.status_code == 200, (target, response.get_data(as_text=True))
        stray = url + "?" + (base + "&" if base else "") + "undocumented=1"
        body = demo_api.json(stray, "admin-1", status=400)
        assert "“undocumented”" in body["error"]["message"], path
