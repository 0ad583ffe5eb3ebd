import pytest


@pytest.mark.django_db
def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"


@pytest.mark.django_db
def test_openapi_document_and_docs(client):
    doc = client.get("/api/v1/openapi.json")
    assert doc.status_code == 200
    paths = doc.json()["paths"]
    assert "/api/v1/auth/sign-in" in paths
    assert "/api/v1/audit" in paths
    assert client.get("/api/docs").status_code == 302
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.django_db
def test_unauthenticated_call_is_problem_json(client):
    response = client.get("/api/v1/users")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "authentication_required"
    assert body["status"] == 401
    assert body["instance"].startswith("urn:custodesk:request:")
    assert response["X-Request-ID"] in body["instance"]


@pytest.mark.django_db
def test_validation_error_names_field_and_rule(client):
    response = client.post(
        "/api/v1/auth/sign-in", {"username": "x"}, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert {k: body["errors"][0][k] for k in ("field", "rule")} == {
        "field": "password",
        "rule": "missing",
    }


@pytest.mark.django_db
def test_request_id_is_echoed_when_well_formed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc12345-trace")
    assert response["X-Request-ID"] == "abc12345-trace"
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")
    assert response["X-Request-ID"] != "bad id with spaces"
