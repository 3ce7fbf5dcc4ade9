"""Pages of the statistics, the client's overview ("Vem vet vad, vem gör vad") and the
year's agenda with its calendar feed.

Each view parses the request, calls one service or selector, and renders or redirects.
Missing and forbidden give the same 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from consent import policy
from coordination import selectors, selectors_agenda, selectors_overview, selectors_statistics
from coordination.errors import DomainError, NotFound
from coordination.invitation_mail import absolute_url
from coordination.models import Meeting, Municipality
from coordination.models_statistics import CaseFacts, TrainingEvent
from coordination.services import agenda as agenda_services
from coordination.services import statistics as statistics_services
from coordination.statistics.figures import DATASETS


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError as exc:
        raise Http404() from exc


# ---------------------------------------------------------------------------------------
# Statistics


@require_safe
@never_cache
@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors_statistics.statistics_page(
            user=request.user,
            year=_int(request.GET.get("ar")),
            scope=request.GET.get("omrade") or None,
        )
    except NotFound as exc:
        raise Http404() from exc
    return render(request, "frontend/statistics/page.html", {"page": page, "datasets": DATASETS})


@require_safe
@never_cache
@login_required
def statistics_csv(request: HttpRequest) -> HttpResponse:
    year = _int(request.GET.get("ar"))
    if year is None:
        raise Http404()
    try:
        export = selectors_statistics.statistics_csv(
            user=request.user,
            year=year,
            scope=request.GET.get("omrade", ""),
            dataset_key=request.GET.get("tabell", ""),
            per_municipality=request.GET.get("per_kommun") == "1",
        )
    except NotFound as exc:
        raise Http404() from exc
    response = HttpResponse(export.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


# ---------------------------------------------------------------------------------------
# The client's overview and the case's counts


@require_safe
@never_cache
@login_required
def case_overview(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    try:
        overview = selectors_overview.case_overview(user=request.user, case_id=case_id)
    except NotFound as exc:
        raise Http404() from exc
    return render(request, "frontend/statistics/overview.html", {"overview": overview})


class CaseFactsForm(forms.Form):
    children_witnessed = forms.IntegerField(
        label=gettext_lazy("Hur många barn har bevittnat våld?"), min_value=0, max_value=20
    )
    children_subjected = forms.IntegerField(
        label=gettext_lazy("Hur många barn har själva utsatts för våld?"),
        min_value=0,
        max_value=20,
    )
    adult_subjected = forms.BooleanField(
        label=gettext_lazy("En vuxen i ärendet har utsatts för våld"), required=False
    )
    adult_used_violence = forms.BooleanField(
        label=gettext_lazy("En vuxen i ärendet har utövat våld"), required=False
    )


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def case_facts(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    try:
        case = selectors.case_get(user=request.user, case_id=case_id)
    except NotFound as exc:
        raise Http404() from exc
    if not policy.may_record_case_facts(request.user, case):
        raise Http404()
    current = CaseFacts.objects.filter(case=case).first()
    initial = (
        {
            "children_witnessed": current.children_witnessed,
            "children_subjected": current.children_subjected,
            "adult_subjected": current.adult_subjected,
            "adult_used_violence": current.adult_used_violence,
        }
        if current
        else {"children_witnessed": 0, "children_subjected": 0}
    )
    form = CaseFactsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            statistics_services.case_facts_record(
                actor=request.user, case=case, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Uppgifterna för statistiken är sparade."))
            return redirect("frontend:case_overview", case_id=case.id)
    return render(
        request,
        "frontend/statistics/case_facts.html",
        {"case": case, "form": form, "current": current},
    )


# ---------------------------------------------------------------------------------------
# The year's agenda


class TrainingForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Utbildning"), max_length=200)
    starts_on = forms.DateField(
        label=gettext_lazy("Datum"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start_time = forms.TimeField(
        label=gettext_lazy("Klockan (tomt: hela dagen)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Längd i minuter"), required=False, min_value=15, max_value=600
    )
    audience = forms.CharField(label=gettext_lazy("För vem"), max_length=300)
    every_years = forms.TypedChoiceField(
        label=gettext_lazy("Återkommer"),
        choices=[
            ("", gettext_lazy("En gång")),
            ("1", gettext_lazy("Varje år")),
            ("2", gettext_lazy("Vartannat år")),
            ("3", gettext_lazy("Vart tredje år")),
        ],
        coerce=int,
        empty_value=None,
        required=False,
    )
    municipality = forms.ModelChoiceField(
        label=gettext_lazy("Kommun"), queryset=Municipality.objects.none(), required=False
    )

    def __init__(self, *args: Any, municipalities: list[Municipality], county: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["municipality"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Municipality.objects.filter(pk__in=[m.pk for m in municipalities])
        field.required = not county
        field.empty_label = str(_("Hela länet")) if county else None


def _agenda_year(request: HttpRequest) -> int:
    return _int(request.GET.get("ar")) or timezone.localdate().year


def _agenda_context(
    request: HttpRequest, year: int, *, form: TrainingForm | None = None, feed_url: str = ""
) -> dict[str, Any]:
    try:
        agenda = selectors_agenda.agenda_year(user=request.user, year=year)
    except NotFound as exc:
        raise Http404() from exc
    if form is None and agenda.may_plan:
        form = TrainingForm(
            municipalities=agenda.training_municipalities,
            county=not agenda.training_municipalities,
        )
    return {"agenda": agenda, "form": form, "feed_url": feed_url}


@require_safe
@never_cache
@login_required
def agenda(request: HttpRequest) -> HttpResponse:
    year = _agenda_year(request)
    return render(request, "frontend/statistics/agenda.html", _agenda_context(request, year))


@require_POST
@never_cache
@login_required
def training_create(request: HttpRequest) -> HttpResponse:
    year = _agenda_year(request)
    context = _agenda_context(request, year)
    agenda_view = context["agenda"]
    if not agenda_view.may_plan:
        raise Http404()
    form = TrainingForm(
        request.POST,
        municipalities=agenda_view.training_municipalities,
        county=not agenda_view.training_municipalities,
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            event = agenda_services.training_event_create(
                actor=request.user,
                municipality=data["municipality"],
                title=data["title"],
                starts_on=data["starts_on"],
                start_time=data["start_time"],
                duration_minutes=data["duration_minutes"] or 0,
                audience=data["audience"],
                every_years=data["every_years"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Utbildningen finns nu i årsagendan."))
            return redirect(f"{reverse('frontend:agenda')}?ar={event.starts_on.year}")
    context["form"] = form
    return render(request, "frontend/statistics/agenda.html", context, status=400)


@require_POST
@never_cache
@login_required
def training_delete(request: HttpRequest, training_id: uuid.UUID) -> HttpResponse:
    event = TrainingEvent.objects.filter(pk=training_id).first()
    if event is None:
        raise Http404()
    try:
        agenda_services.training_event_delete(actor=request.user, event=event)
    except NotFound as exc:
        raise Http404() from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Utbildningen är borttagen ur årsagendan."))
    return redirect("frontend:agenda")


class MoveForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Ny tid"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def meeting_move(request: HttpRequest, meeting_id: uuid.UUID) -> HttpResponse:
    meeting = Meeting.objects.select_related("forum").filter(pk=meeting_id).first()
    if meeting is None or not policy.may_move_meeting(request.user, meeting):
        raise Http404()
    initial = {"starts_at": timezone.localtime(meeting.starts_at).replace(tzinfo=None)}
    form = MoveForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        when = form.cleaned_data["starts_at"]
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        try:
            agenda_services.meeting_move(actor=request.user, meeting=meeting, starts_at=when)
        except DomainError as exc:
            form.add_error("starts_at" if exc.detail.get("field") else None, exc.message)
        else:
            messages.success(request, _("Mötet har flyttats. Kalendrarna får den nya tiden."))
            return redirect(f"{reverse('frontend:agenda')}?ar={when.year}")
    return render(request, "frontend/statistics/move.html", {"meeting": meeting, "form": form})


# ---------------------------------------------------------------------------------------
# The personal calendar feed


@require_POST
@never_cache
@login_required
def calendar_renew(request: HttpRequest) -> HttpResponse:
    """A new link, shown once on the page that answers this request (never stored)."""
    try:
        token = agenda_services.calendar_feed_renew(actor=request.user)
    except DomainError as exc:
        raise Http404() from exc
    url = absolute_url(reverse("frontend:calendar_feed", kwargs={"token": token}))
    context = _agenda_context(request, timezone.localdate().year, feed_url=url)
    return render(request, "frontend/statistics/agenda.html", context)


@require_POST
@never_cache
@login_required
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    try:
        agenda_services.calendar_feed_revoke(actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Kalenderlänken är avstängd."))
    return redirect("frontend:agenda")


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself: no session (calendar programs have none); the link is the key."""
    try:
        content = selectors_agenda.calendar_feed(token=token)
    except NotFound as exc:
        raise Http404() from exc
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="samverka.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
