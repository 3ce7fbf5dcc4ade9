"""Maps domain errors to JSON responses with a stable code and a Swedish message."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from coordination.errors import DomainError

_DRF_CODES = {
    exceptions.NotAuthenticated: ("not_authenticated", "Du behöver logga in."),
    exceptions.AuthenticationFailed: ("not_authenticated", "Du behöver logga in."),
    exceptions.PermissionDenied: ("forbidden", "Du saknar behörighet för den här åtgärden."),
    exceptions.NotFound: ("not_found", "Finns inte, eller så saknar du behörighet."),
    exceptions.MethodNotAllowed: ("method_not_allowed", "Metoden stöds inte här."),
    exceptions.ParseError: ("malformed", "Begäran kunde inte tolkas."),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "Formatet stöds inte."),
    exceptions.Throttled: ("throttled", "För många förfrågningar; försök igen om en stund."),
    exceptions.ValidationError: ("invalid", "Uppgifterna är inte giltiga."),
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"code": exc.code, "message": exc.message}
        if exc.detail:
            body["detail"] = exc.detail
        return Response(body, status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code, message = next(
        (v for k, v in _DRF_CODES.items() if isinstance(exc, k)),
        ("error", "Åtgärden kunde inte utföras."),
    )
    drf_body: dict[str, Any] = {"code": code, "message": message}
    if isinstance(exc, exceptions.ValidationError):
        drf_body["detail"] = response.data
    response.data = drf_body
    if response.status_code == status.HTTP_403_FORBIDDEN and code == "not_authenticated":
        response.status_code = status.HTTP_401_UNAUTHORIZED
    return response


def page_not_found(request: Any, exception: Exception) -> Any:
    """The project's 404: JSON with the API's error body under /api/ (an id the URL
    patterns do not accept, say), the Swedish page everywhere else."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found as page

    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "not_found", "message": "Finns inte, eller så saknar du behörighet."},
            status=404,
        )
    return page(request, exception)
