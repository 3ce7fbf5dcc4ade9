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
