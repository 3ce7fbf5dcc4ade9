"""Signed-in sessions without their second factor end here (when it is required)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from coordination.services import accounts


class SecondFactorMiddleware:
    """Under ``SAMVERKA_REQUIRE_SECOND_FACTOR`` a session is signed in only after both
    factors (see frontend/auth_views.py). A session that is signed in without one (made
    before the requirement was switched on, or whose device was removed) is signed out
    before any view runs, so every page, the API and the WebSocket see an anonymous user.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not accounts.session_second_factor_ok(user, request.session):
            logout(request)
        return self.get_response(request)
