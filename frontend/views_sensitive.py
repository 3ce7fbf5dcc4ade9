"""The most sensitive operations in the web interface: erasing a case (gallring) and
rotating the vault's key-encryption key. Both ask the policy for the role and for a
re-authentication within the last five minutes (``policy.reauthenticated_recently``).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from consent import policy
from coordination import selectors, services, vault
from coordination.errors import DomainError, NotFound
from coordination.models import Case
from frontend.auth_views import reauth_redirect


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def case_erase(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    try:
        case = selectors.case_get(user=request.user, case_id=case_id)
    except NotFound as exc:
        raise Http404() from exc
    if not policy.may_erase_case(request.user, case):
        raise PermissionDenied()
    here = reverse("frontend:case_erase", kwargs={"case_id": case.id})
    error = ""
    if request.method == "POST":
        if not policy.reauthenticated_recently(request.session):
            return reauth_redirect(request, here)
        try:
            services.case_erase(
                actor=request.user, case=case, reason=str(request.POST.get("reason", ""))[:500]
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Ärendet är gallrat."))
            return redirect("frontend:case", case_id=case.id)
    context = {
        "case": case,
        "error": error,
        "fresh": policy.reauthenticated_recently(request.session),
    }
    return render(request, "frontend/auth/erase.html", context, status=400 if error else 200)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def key_rotation(request: HttpRequest) -> HttpResponse:
    """The administrators' page for a new key-encryption key (``manage.py rotate_kek``
    does the same for operators at the command line)."""
    if not policy.may_rotate_keys(request.user):
        raise Http404()
    if request.method == "POST":
        if not policy.reauthenticated_recently(request.session):
            return reauth_redirect(request, reverse("frontend:key_rotation"))
        key_id, count = services.kek_rotate(actor=request.user)
        messages.success(
            request,
            _("Ny nyckel %(key)s är aktuell; %(count)d ärenden omslutna.")
            % {"key": key_id, "count": count},
        )
        return redirect("frontend:key_rotation")
    context = {
        "key_id": vault.current_kek_id(),
        "cases": Case.objects.exclude(wrapped_data_key=None).count(),
        "fresh": policy.reauthenticated_recently(request.session),
    }
    return render(request, "frontend/auth/keys.html", context)
