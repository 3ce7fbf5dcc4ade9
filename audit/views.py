"""The auditor's console (namespace ``audit``): each view parses, calls one selector or
service, and renders. Who may see what is decided by the selectors and services."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from audit import describe, selectors, services, signing, tabular
from audit.forms import (
    RegisterExtractForm,
    ReviewFinishForm,
    ReviewMarkForm,
    ReviewStartForm,
    TrailFilterForm,
)
from audit.models import AccessReview, ReviewReason, ReviewStatus
from audit.queries import TrailFilter
from audit.services.trail import checkpoint_dict
from coordination.errors import DomainError, Forbidden, Invalid, NotFound

View = Callable[..., HttpResponse]
OUTPUTS = ("html", "csv", "json")


def auditor_page(view: View) -> View:
    """Signed in, never cached, and domain refusals as the ordinary 403 and 404 pages."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return login_required(never_cache(wrapper))


@require_safe
@auditor_page
def index(request: HttpRequest) -> HttpResponse:
    overview = selectors.auditor_overview(user=request.user)
    return render(request, "audit/index.html", {"overview": overview})


def _trail_list(request: HttpRequest, *, kind: str) -> HttpResponse:
    output = request.GET.get("format", "html")
    if output not in OUTPUTS:
        return HttpResponseBadRequest(_("Okänt format."))
    form = TrailFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "audit/trail_list.html", {"kind": kind, "form": form}, status=400)
    filters = form.to_filter() if form.is_bound else TrailFilter()
    select = selectors.disclosure_list if kind == "disclosures" else selectors.access_list
    limit = selectors.LIST_LIMIT if output == "html" else None
    listing = select(user=request.user, filters=filters, output=output, limit=limit)
    names = selectors.actor_names(listing.rows)
    filename = "utlamnanden" if kind == "disclosures" else "atkomster"
    if output == "csv":
        return tabular.csv_response(listing.rows, names, filename)
    if output == "json":
        return tabular.json_response(
            listing.rows, view=kind, filters=filters.as_detail(), filename=filename
        )
    rows = [
        {
            "event": e,
            "name": names.get(e.actor_user_id, e.actor),
            "what": describe.action_label(e.action),
            "fields": describe.field_labels(e.fields),
        }
        for e in listing.rows
    ]
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "audit/trail_list.html",
        {
            "kind": kind,
            "form": form,
            "listing": listing,
            "rows": rows,
            "query": query.urlencode(),
        },
    )


@require_safe
@auditor_page
def disclosures(request: HttpRequest) -> HttpResponse:
    return _trail_list(request, kind="disclosures")


@require_safe
@auditor_page
def accesses(request: HttpRequest) -> HttpResponse:
    return _trail_list(request, kind="accesses")


@require_http_methods(["GET", "POST"])
@auditor_page
def register_extract(request: HttpRequest) -> HttpResponse:
    # POST only: a personnummer must never end up in a URL, and so in server logs.
    form = RegisterExtractForm(request.POST or None)
    extract = None
    if request.method == "POST" and form.is_valid():
        try:
            extract = selectors.register_extract(
                user=request.user, identity_number=form.cleaned_data["personnummer"]
            )
        except Invalid as exc:
            form.add_error("personnummer", exc.message)
    elif request.method == "GET":
        selectors.audited_agencies(user=request.user)  # the form is for auditors only
    status = 400 if request.method == "POST" and extract is None else 200
    return render(
        request, "audit/register_extract.html", {"form": form, "extract": extract}, status=status
    )


def _agency_choices(user: Any) -> list[tuple[str, str]]:
    return [(str(a.pk), a.name) for a in selectors.audited_agencies(user=user)]


@require_http_methods(["GET", "POST"])
@auditor_page
def reviews(request: HttpRequest) -> HttpResponse:
    choices = _agency_choices(request.user)
    form = ReviewStartForm(request.POST or None, agencies=choices)
    if request.method == "POST" and form.is_valid():
        agencies = {str(a.pk): a for a in selectors.audited_agencies(user=request.user)}
        try:
            review = services.access_review_start(
                actor=request.user,
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                sample_size=form.cleaned_data["sample_size"],
                agency=agencies.get(form.cleaned_data.get("agency") or ""),
            )
        except Invalid as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("audit:review", review_id=review.pk)
    return render(
        request,
        "audit/reviews.html",
        {"form": form, "reviews": selectors.review_list(user=request.user)},
        status=400 if request.method == "POST" else 200,
    )


def _review_post(
    request: HttpRequest, current: AccessReview, finish_form: ReviewFinishForm
) -> HttpResponse | None:
    """Mark one access, or finish the review; None when the input was not valid."""
    if "finish" in request.POST:
        if not finish_form.is_valid():
            return None
        services.access_review_finish(
            actor=request.user, review=current, conclusion=finish_form.cleaned_data["conclusion"]
        )
        messages.success(request, _("Loggkontrollen är avslutad och registrerad."))
        return redirect("audit:review", review_id=current.pk)
    position = request.POST.get("position", "")
    item = selectors.review_item_get(
        user=request.user,
        review_id=current.pk,
        position=int(position) if position.isdigit() else 0,
    )
    mark_form = ReviewMarkForm(request.POST, prefix=f"item-{item.position}")
    if not mark_form.is_valid():
        messages.error(request, _("Välj en bedömning för åtkomst %(n)d.") % {"n": item.position})
        return None
    services.review_item_mark(
        actor=request.user,
        item=item,
        verdict=mark_form.cleaned_data["verdict"],
        note=mark_form.cleaned_data["note"],
    )
    return redirect(f"{request.path}#item-{item.position}")


@require_http_methods(["GET", "POST"])
@auditor_page
def review(request: HttpRequest, review_id: uuid.UUID) -> HttpResponse:
    """One loggkontroll: mark each access, finish, print."""
    current = selectors.review_get(user=request.user, review_id=review_id)
    finish_form = ReviewFinishForm(request.POST if "finish" in request.POST else None)
    status = 200
    if request.method == "POST":
        try:
            response = _review_post(request, current, finish_form)
        except (Forbidden, NotFound):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if response is not None:
                return response
        status = 400
        current = selectors.review_get(user=request.user, review_id=review_id)
    items = selectors.review_items(current)
    names = selectors.actor_names([i.event for i in items])
    rows = [
        {
            "item": i,
            "event": i.event,
            "name": names.get(i.event.actor_user_id, i.event.actor),
            "what": describe.action_label(i.event.action),
            "fields": describe.field_labels(i.event.fields),
            "form": ReviewMarkForm(
                initial={"verdict": i.verdict, "note": i.note}, prefix=f"item-{i.position}"
            ),
        }
        for i in items
    ]
    return render(
        request,
        "audit/review.html",
        {
            "review": current,
            "rows": rows,
            "open": current.status == ReviewStatus.OPEN,
            "finish_form": finish_form,
            "unmarked": sum(1 for i in items if not i.verdict),
            "rule_counts": [
                (label, current.rule_counts[code])
                for code, label in ReviewReason.choices
                if code in current.rule_counts
            ],
        },
        status=status,
    )


@require_safe
@auditor_page
def entry_proof(request: HttpRequest, seq: int) -> HttpResponse:
    proof = selectors.entry_proof(user=request.user, seq=seq)
    response = HttpResponse(
        json.dumps(proof, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="bevis-post-{seq}.json"'
    return response


@require_safe
@auditor_page
def latest_checkpoint(request: HttpRequest) -> HttpResponse:
    checkpoint = selectors.checkpoint_for_auditor(user=request.user)
    if checkpoint is None:
        raise Http404(_("Det finns ännu ingen kontrollpunkt."))
    response = HttpResponse(
        json.dumps(checkpoint_dict(checkpoint), indent=2) + "\n", content_type="application/json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="kontrollpunkt-{checkpoint.tree_size}.json"'
    )
    return response


@require_safe
def public_key(request: HttpRequest) -> HttpResponse:
    """The checkpoint key is public by design: anyone may fetch it to verify exports."""
    response = HttpResponse(signing.public_key_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="samverka-granskning.pem"'
    return response


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def export_download(request: HttpRequest) -> HttpResponseBase:
    """The full export (as ``manage.py audit_export``) as a download, for a person who
    audits every agency, after re-authentication within the last five minutes."""
    import io
    import tempfile

    from django.http import FileResponse
    from django.urls import reverse

    from audit.services.export import export_write
    from consent import policy
    from frontend.auth_views import reauth_redirect

    if not policy.may_export_audit_trail(request.user):
        raise Http404()
    if request.method == "GET":
        fresh = policy.reauthenticated_recently(request.session)
        return render(request, "audit/export.html", {"fresh": fresh})
    if not policy.reauthenticated_recently(request.session):
        return reauth_redirect(request, reverse("audit:export"))
    # The response closes the file once it is sent.
    text = io.TextIOWrapper(tempfile.TemporaryFile(), encoding="utf-8")  # noqa: SIM115
    export_write(actor=request.user, out=text, via="granskning/export")
    text.flush()
    raw = text.detach()
    raw.seek(0)
    return FileResponse(
        raw,
        as_attachment=True,
        filename="samverka-granskningslogg.json",
        content_type="application/json",
    )
