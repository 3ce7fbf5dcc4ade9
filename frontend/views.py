"""Web pages: each view parses the request, calls one selector and renders a template."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from coordination import selectors
from coordination.errors import NotFound
from frontend.auth_views import SamverkaLoginView

__all__ = ["SamverkaLoginView", "SamverkaLogoutView", "case_detail", "start"]


class SamverkaLogoutView(LogoutView):
    """Django's logout (POST only); afterwards the login page (``LOGOUT_REDIRECT_URL``)."""


@require_safe
@never_cache
@login_required
def start(request: HttpRequest) -> HttpResponse:
    page = selectors.start_page(user=request.user)
    return render(request, "frontend/start.html", {"page": page})


@require_safe
@never_cache
@login_required
def case_detail(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    try:
        view = selectors.case_detail(user=request.user, case_id=case_id)
    except NotFound as exc:
        # The same page whether the case does not exist or may not be seen.
        raise Http404() from exc
    return render(request, "frontend/case.html", {"view": view})
