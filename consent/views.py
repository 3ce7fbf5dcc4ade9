"""The case's consent page: see the consents, record one, extend or revoke one.

Each view parses the form, calls one service, and renders or redirects; the services
decide and validate, and their Swedish messages are shown at the field they concern.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from consent import selectors, services
from consent.forms import ConsentExtendForm, ConsentForm, ConsentRevokeForm
from coordination.errors import DomainError, NotFound
from coordination.models import Case


def _case(request: HttpRequest, case_id: uuid.UUID) -> Case:
    try:
        return selectors.consent_case(user=request.user, case_id=case_id)
    except NotFound as exc:
        # The same page whether the case does not exist or may not be seen.
        raise Http404() from exc


def _add_error(form: forms.Form, error: DomainError) -> None:
    field = error.detail.get("field")
    form.add_error(field if field in form.fields else None, error.message)


def _page(
    request: HttpRequest,
    case: Case,
    *,
    record_form: ConsentForm | None = None,
    bound: tuple[str, str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    case, views = selectors.consent_list(user=request.user, case_id=case.id)
    rows: list[dict[str, Any]] = []
    for view in views:
        key = str(view.consent.id)
        extend: forms.Form = ConsentExtendForm(prefix=f"extend-{key}", case=case, user=request.user)
        revoke: forms.Form = ConsentRevokeForm(prefix=f"revoke-{key}")
        if bound is not None and bound[0] == key:
            if bound[1] == "extend":
                extend = bound[2]
            else:
                revoke = bound[2]
        rows.append(
            {
                "view": view,
                "extend_form": extend,
                "revoke_form": revoke,
                "open_form": bound[1] if bound is not None and bound[0] == key else "",
            }
        )
    context = {
        "case": case,
        "rows": rows,
        "form": record_form or ConsentForm(case=case, user=request.user),
    }
    return render(request, "consent/case_consents.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@login_required
def case_consents(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    if request.method != "POST":
        return _page(request, case)
    form = ConsentForm(request.POST, case=case, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_record(
                actor=request.user,
                case=case,
                agencies=data["agencies"],
                forums=data["forums"],
                categories=data["categories"],
                purpose_code=data["purpose_code"],
                purpose=data["purpose"],
                given_how=data["given_how"],
                witnessed_by=data["witnessed_by"],
                document_reference=data["document_reference"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("Samtycket är registrerat."))
            return redirect("consent:case-consents", case_id=case.id)
    return _page(request, case, record_form=form, status=400)


@require_POST
@never_cache
@login_required
def consent_extend(request: HttpRequest, case_id: uuid.UUID, consent_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    consent = _consent(request, case, consent_id)
    form = ConsentExtendForm(
        request.POST, prefix=f"extend-{consent.id}", case=case, user=request.user
    )
    if form.is_valid():
        try:
            services.consent_extend(actor=request.user, consent=consent, **form.cleaned_data)
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("Samtycket är förlängt."))
            return redirect("consent:case-consents", case_id=case.id)
    return _page(request, case, bound=(str(consent.id), "extend", form), status=400)


@require_POST
@never_cache
@login_required
def consent_revoke(request: HttpRequest, case_id: uuid.UUID, consent_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    consent = _consent(request, case, consent_id)
    form = ConsentRevokeForm(request.POST, prefix=f"revoke-{consent.id}")
    if form.is_valid():
        try:
            services.consent_revoke(
                actor=request.user, consent=consent, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("Samtycket är återkallat. Det gäller inte längre."))
            return redirect("consent:case-consents", case_id=case.id)
    return _page(request, case, bound=(str(consent.id), "revoke", form), status=400)


def _consent(request: HttpRequest, case: Case, consent_id: uuid.UUID) -> Any:
    try:
        return selectors.consent_get(user=request.user, case_id=case.id, consent_id=consent_id)
    except NotFound as exc:
        raise Http404() from exc
