"""OpenAPI component names: one per serializer, even when views nest serializers of the
same name (``InputSerializer``, ``OutputSerializer``) — otherwise drf-spectacular merges
them into one component and the published schema describes the wrong bodies."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema


class SamverkaAutoSchema(AutoSchema):
    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        # "CaseDetailApi.OutputSerializer" -> "CaseDetailApiOutputSerializer"
        return type(serializer).__qualname__.replace(".", "")


ERROR_SCHEMA = {
    "type": "object",
    "description": "Ett fel: en stabil kod för program och ett meddelande på svenska.",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "detail": {"type": "object", "additionalProperties": True},
    },
    "required": ["code", "message"],
}
_ERRORS = {
    "400": "Uppgifterna är inte giltiga.",
    "401": "Du behöver logga in.",
    "403": "Du saknar behörighet för den här åtgärden.",
    "404": "Finns inte, eller så saknar du behörighet.",
}
_WRITE_ERRORS = {"409": "Åtgärden går inte att utföra i det nuvarande läget."}


def document_errors(result: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: every operation documents the error answers it can give
    (coordination/api/errors.py), all with one body: ``{"code", "message", "detail"}``."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            errors = dict(_ERRORS)
            if method in ("post", "put", "patch", "delete"):
                errors.update(_WRITE_ERRORS)
            responses = operation.setdefault("responses", {})
            for status, description in errors.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
