"""The published OpenAPI document says what the API does (issue 10, §7): every schema has a
component name of its own, enumerations are enums, every refusal is documented."""

from __future__ import annotations

from typing import Any

from ninja.openapi.schema import OpenAPISchema

from custodesk.config.api import api


class _Recording(OpenAPISchema):
    """Django-ninja's document builder, remembering every definition it was given under
    each component name (it keeps the last one, silently)."""

    seen: dict[str, list[dict[str, Any]]]

    def add_schema_definitions(self, definitions: dict[str, Any]) -> None:
        for name, definition in definitions.items():
            variants = self.seen.setdefault(name, [])
            if definition not in variants:
                variants.append(definition)
        super().add_schema_definitions(definitions)


def _build() -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    _Recording.seen = {}
    document = _Recording(api, "/api/v1/")
    return document, _Recording.seen


def test_no_two_schemas_share_a_component_name():
    _, seen = _build()
    shared = {name: variants for name, variants in seen.items() if len(variants) > 1}
    assert shared == {}, "different schemas published under one name: " + ", ".join(shared)


def test_the_check_sees_a_collision():
    from ninja import Router, Schema

    from custodesk.config.api import CustodeskAPI

    class Twin(Schema):
        a: int

    first = Twin

    class Twin(Schema):  # type: ignore[no-redef]
        b: str

    probe = CustodeskAPI(urls_namespace="probe")
    router = Router()
    router.post("/one", response=first)(lambda request, payload: None)
    router.post("/two", response=Twin)(lambda request, payload: None)
    probe.add_router("", router)
    _Recording.seen = {}
    _Recording(probe, "/")
    assert len(_Recording.seen["Twin"]) == 2


def _properties(document: dict[str, Any], name: str) -> dict[str, Any]:
    return document["components"]["schemas"][name]["properties"]


def test_the_ledger_transfer_schemas_are_the_ledgers():
    document, _ = _build()
    body = document["paths"]["/api/v1/ledger/transfers"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"debit_account", "credit_account", "amount", "currency"} <= set(
        _properties(document, ref)
    )
    batch = document["paths"]["/api/v1/ledger/transfers/batch"]["post"]["requestBody"]
    ref = batch["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(_properties(document, ref)) == {"transfers"}


def test_enumerations_are_enums_and_refusals_are_documented():
    document = api.get_openapi_schema(path_prefix="/api/v1/")
    account = _properties(document, "AccountOut")
    assert {"market_summary", "member_sub"} <= set(account["kind"]["enum"])
    assert "open" in account["status"]["enum"]
    assert set(_properties(document, "AccountIn")["currency"]["enum"]) == {"CNY", "HKD", "USD"}
    assert "pending" in _properties(document, "RequestOut")["status"]["enum"]
    assert "active" in _properties(document, "UserOut")["status"]["enum"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "4XX" in operation["responses"], (method, path)
