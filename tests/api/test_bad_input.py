"""No 500 on any input (#17), the API's side: control characters in an address or a query
are a JSON 400 in the caller's language; an id beyond any row's is a 404."""

from __future__ import annotations

from .conftest import Api


def test_the_api_answers_control_characters_in_json(small_api: Api) -> None:
    response = small_api.get("/api/v1/areas?parent=KZ%00", "research-1")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["status"] == 400
    assert "characters that are not allowed" in body["error"]["message"]
    kazakh = small_api.get("/api/v1/areas%00", "research-1", **{"Accept-Language": "kk"})
    assert kazakh.status_code == 400
    assert kazakh.headers["Content-Language"] == "kk"


def test_absurd_ids_in_api_paths_are_404s(small_api: Api) -> None:
    for number in ("99999999999999999999", str(2**31), str(2**63)):
        response = small_api.get(f"/api/v1/snapshots/{number}/indicators", "research-1")
        assert response.status_code == 404, number
