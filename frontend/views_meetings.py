"""Pages of the same-day styrgrupp: incident → call → answers → meeting → minutes.

Each view parses the request, calls one service or selector, and renders or redirects.
Domain errors become form errors or the same 404 for missing and forbidden.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from coordination import selectors, selectors_meetings, services
from coordination.errors import DomainError, NotFound
from coordination.models import (
    Case,
    Incident,
    IncidentKind,
    InvitationAnswer,
    MeetingStatus,
    Minutes,
    Routine,
    Unit,
)
from coordination.services import meetings as meeting_services


def _case(request: HttpRequest, case_id: uuid.UUID) -> Case:
    try:
        return selectors.case_get(user=request.user, case_id=case_id)
    except NotFound as exc:
        raise Http404() from exc


def _not_found(exc: NotFound) -> Http404:
    return Http404(str(exc))


# ---------------------------------------------------------------------------------------
# Incident → offer to convene


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Slag av händelse"), choices=IncidentKind.choices)
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("När inträffade det?"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    description = forms.CharField(
        label=gettext_lazy("Beskrivning"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Krypteras med ärendets nyckel."),
    )


def incident_form(*, data: Any = None, prefix: str = "incident") -> IncidentForm:
    initial = {"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
    return IncidentForm(data=data, initial=initial, prefix=prefix)


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def incident_register(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Register a händelse; if the routine applies, go straight on to offer the call."""
    case = _case(request, case_id)
    form = incident_form(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_register(
                actor=request.user,
                case=case,
                kind=form.cleaned_data["kind"],
                occurred_at=form.cleaned_data["occurred_at"],
                description=form.cleaned_data["description"],
            )
        except NotFound as exc:
            raise _not_found(exc) from exc
        except DomainError as exc:
            form.add_error(
                exc.detail.get("field") if exc.detail.get("field") in form.fields else None,
                exc.message,
            )
        else:
            routine = meeting_services.routine_for_case(case)
            if routine is not None and incident.kind in (routine.trigger_kinds or []):
                messages.success(
                    request,
                    _(
                        "Händelsen är registrerad. Rutinen %(routine)s säger: kalla styrgruppen i dag."
                    )
                    % {"routine": routine.name},
                )
                url = reverse("frontend:meeting_convene", kwargs={"case_id": case.id})
                return redirect(f"{url}?incident={incident.id}")
            messages.success(request, _("Händelsen är registrerad."))
            return redirect("frontend:case", case_id=case.id)
    return render(request, "frontend/meetings/incident.html", {"case": case, "form": form})


# ---------------------------------------------------------------------------------------
# Convening


class ConveneForm(forms.Form):
    NOW = "now"
    LATER = "later"

    units = forms.MultipleChoiceField(
        label=gettext_lazy("Sektioner att kalla"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Välj minst en sektion att kalla.")},
    )
    when = forms.ChoiceField(
        label=gettext_lazy("När"),
        choices=[(NOW, gettext_lazy("Nu")), (LATER, gettext_lazy("Senare i dag, kl."))],
        widget=forms.RadioSelect,
        initial=NOW,
    )
    time = forms.TimeField(
        label=gettext_lazy("Klockslag i dag"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M"],
    )
    assessment = forms.CharField(
        label=gettext_lazy("Sekretessbedömning"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Varför uppgifterna får visas i styrgruppen. Sparas krypterat och loggas som "
            "utlämnande på grunden samma myndighet."
        ),
    )

    def __init__(self, *args: Any, routine: Routine, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.routine = routine
        self.unit_objects = {str(u.id): u for u in routine.forum.member_units.order_by("name")}
        units = self.fields["units"]
        assert isinstance(units, forms.MultipleChoiceField)
        units.choices = [(key, unit.name) for key, unit in self.unit_objects.items()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == self.LATER and data.get("time") is None:
            self.add_error("time", _("Ange ett klockslag i dag, eller välj Nu."))
        return data

    def starts_at(self) -> dt.datetime | None:
        if self.cleaned_data["when"] == self.NOW:
            return None
        today = timezone.localdate()
        return timezone.make_aware(dt.datetime.combine(today, self.cleaned_data["time"]))

    def units_chosen(self) -> list[Unit]:
        return [self.unit_objects[key] for key in self.cleaned_data["units"]]


def _incident_of(case: Case, raw: str | None) -> Incident | None:
    if not raw:
        return None
    try:
        return Incident.objects.get(pk=raw, case=case)
    except (Incident.DoesNotExist, ValueError, TypeError, ValidationError):
        return None


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def meeting_convene(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = _case(request, case_id)
    try:
        panel = selectors_meetings.case_styrgrupp(user=request.user, case=case)
    except NotFound as exc:
        raise _not_found(exc) from exc
    routine = panel.routine
    if routine is None or not panel.may_convene:
        raise Http404()
    incident = _incident_of(case, request.POST.get("incident") or request.GET.get("incident"))
    if incident is None:
        incident = panel.suggested_incident
    form = ConveneForm(
        data=request.POST if request.method == "POST" else None,
        routine=routine,
        initial={"assessment": meeting_services.default_assessment(routine)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_convene(
                actor=request.user,
                case=case,
                routine=routine,
                units=form.units_chosen(),
                starts_at=form.starts_at(),
                incident=incident,
                assessment=form.cleaned_data["assessment"],
            )
        except NotFound as exc:
            raise _not_found(exc) from exc
        except DomainError as exc:
            field = exc.detail.get("field")
            form.add_error(
                {"starts_at": "time"}.get(field, field)
                if field in (*form.fields, "starts_at")
                else None,
                exc.message,
            )
        else:
            messages.success(request, _("Styrgruppen är kallad. Svaren syns här när de kommer."))
            return redirect("frontend:meeting_answers", meeting_id=meeting.id)
    return render(
        request,
        "frontend/meetings/convene.html",
        {"case": case, "routine": routine, "form": form, "incident": incident, "panel": panel},
    )


# ---------------------------------------------------------------------------------------
# The call and its answer


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        choices=[
            (InvitationAnswer.ACCEPTED, gettext_lazy("Jag kommer")),
            (InvitationAnswer.DECLINED, gettext_lazy("Jag kan inte komma")),
            (InvitationAnswer.DELEGATED, gettext_lazy("Delegera till ersättare")),
        ]
    )
    reason = forms.CharField(required=False, max_length=500)
    delegate_to = forms.CharField(required=False)


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def meeting_call(request: HttpRequest, meeting_id: uuid.UUID) -> HttpResponse:
    try:
        view = selectors_meetings.meeting_call(user=request.user, meeting_id=meeting_id)
    except NotFound as exc:
        raise _not_found(exc) from exc
    errors: list[str] = []
    if request.method == "POST":
        form = AnswerForm(request.POST)
        if form.is_valid():
            delegate = next(
                (p for p in view.delegates if str(p.pk) == form.cleaned_data.get("delegate_to")),
                None,
            )
            try:
                invitation = services.invitation_answer(
                    actor=request.user,
                    invitation=view.invitation,
                    answer=form.cleaned_data["answer"],
                    reason=form.cleaned_data["reason"],
                    delegate_to=delegate,
                )
            except NotFound as exc:
                raise _not_found(exc) from exc
            except DomainError as exc:
                errors.append(exc.message)
            else:
                if invitation.answer == InvitationAnswer.ACCEPTED:
                    messages.success(request, _("Du har tackat ja. Välkommen in i mötesrummet."))
                    return redirect("frontend:meeting", meeting_id=view.meeting.id)
                messages.success(request, _("Ditt svar är skickat till den som kallade."))
                return redirect("frontend:meeting_call", meeting_id=view.meeting.id)
        else:
            errors.append(_("Välj ett svar."))
    return render(
        request,
        "frontend/meetings/call.html",
        {"view": view, "meeting": view.meeting, "errors": errors},
        status=400 if errors else 200,
    )


# ---------------------------------------------------------------------------------------
# Answers, the room, its state


@require_safe
@never_cache
@login_required
def meeting_answers(request: HttpRequest, meeting_id: uuid.UUID) -> HttpResponse:
    try:
        view = selectors_meetings.meeting_answers(user=request.user, meeting_id=meeting_id)
    except NotFound as exc:
        raise _not_found(exc) from exc
    return render(
        request, "frontend/meetings/answers.html", {"view": view, "meeting": view.meeting}
    )


@require_safe
@never_cache
@login_required
def meeting_room(request: HttpRequest, meeting_id: uuid.UUID) -> HttpResponse:
    try:
        meeting = selectors_meetings.meeting_get(user=request.user, meeting_id=meeting_id)
        if meeting.status == MeetingStatus.CLOSED and hasattr(meeting, "minutes"):
            messages.info(request, _("Mötet är avslutat; här är protokollet."))
            return redirect("frontend:meeting_minutes", meeting_id=meeting.id)
        room = selectors_meetings.meeting_room(user=request.user, meeting_id=meeting_id)
    except NotFound as exc:
        raise _not_found(exc) from exc
    return render(
        request,
        "frontend/meetings/room.html",
        {
            "room": room,
            "meeting": room.meeting,
            "action_form": ActionForm(room=room),
            "today": timezone.localdate(),
        },
    )


@require_safe
@never_cache
@login_required
def meeting_state(request: HttpRequest, meeting_id: uuid.UUID) -> HttpResponse:
    """The live parts as JSON, fetched by the page when it (re)connects or hears a change."""
    try:
        state = selectors_meetings.meeting_state(
            user=request.user,
            meeting_id=meeting_id,
            with_actions=request.GET.get("actions") != "0",
        )
    except NotFound as exc:
        raise _not_found(exc) from exc
    return JsonResponse(state)


def _manage(request: HttpRequest, meeting_id: uuid.UUID, service: Any, done: str) -> HttpResponse:
    try:
        meeting = selectors_meetings.meeting_get(user=request.user, meeting_id=meeting_id)
        service(actor=request.user, meeting=meeting)
    except NotFound as exc:
        raise _not_found(exc) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("frontend:meeting", meeting_id=meeting_id)


@require_POST
@login_required
def meeting_open(request: HttpRequest, meeting_id: uuid.UUID) -> HttpResponse:
    return _manage(request, meeting_id, services.meeting_open, _("Mötet är öppnat."))


@require_POST
@login_required
def meeting_close(request: HttpRequest, meeting_id: uuid.UUID) -> HttpResponse:
    response = _manage(
        request, meeting_id, services.meeting_close, _("Mötet är avslutat och protokollet låst.")
    )
    if Minutes.objects.filter(meeting_id=meeting_id).exists():
        return redirect("frontend:meeting_minutes", meeting_id=meeting_id)
    return response


class ActionForm(forms.Form):
    owner_unit = forms.ChoiceField(label=gettext_lazy("Ansvarig sektion"))
    owner_person = forms.ChoiceField(label=gettext_lazy("Ansvarig person"), required=False)
    text = forms.CharField(
        label=gettext_lazy("Ansvar eller beslut"),
        max_length=meeting_services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    due_date = forms.DateField(
        label=gettext_lazy("Klart senast"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )

    def __init__(self, *args: Any, room: selectors_meetings.MeetingRoom, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"due_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.units = {str(u.id): u for u in room.units}
        self.people = {str(p.pk): p for people in room.owners.values() for p in people}
        owner_unit, owner_person = self.fields["owner_unit"], self.fields["owner_person"]
        assert isinstance(owner_unit, forms.ChoiceField)
        assert isinstance(owner_person, forms.ChoiceField)
        owner_unit.choices = [(k, u.name) for k, u in self.units.items()]
        owner_person.choices = [("", _("Sektionen (ingen särskild person)"))] + [
            (k, meeting_services.name_of(p)) for k, p in self.people.items()
        ]


@require_POST
@login_required
def action_record(request: HttpRequest, meeting_id: uuid.UUID) -> HttpResponse:
    try:
        room = selectors_meetings.meeting_room(user=request.user, meeting_id=meeting_id)
    except NotFound as exc:
        raise _not_found(exc) from exc
    form = ActionForm(request.POST, room=room)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if form.is_valid():
        try:
            services.action_record(
                actor=request.user,
                meeting=room.meeting,
                owner_unit=form.units[form.cleaned_data["owner_unit"]],
                owner_person=form.people.get(form.cleaned_data["owner_person"] or ""),
                text=form.cleaned_data["text"],
                due_date=form.cleaned_data["due_date"],
            )
        except NotFound as exc:
            raise _not_found(exc) from exc
        except DomainError as exc:
            field = exc.detail.get("field")
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            if wants_json:
                return JsonResponse({"ok": True})
            messages.success(request, _("Beslutet är infört."))
            return redirect(
                f"{reverse('frontend:meeting', kwargs={'meeting_id': meeting_id})}#decisions"
            )
    if wants_json:
        return JsonResponse(
            {"ok": False, "errors": {k: [str(e) for e in v] for k, v in form.errors.items()}},
            status=400,
        )
    return render(
        request,
        "frontend/meetings/room.html",
        {"room": room, "meeting": room.meeting, "action_form": form, "today": timezone.localdate()},
        status=400,
    )


@require_POST
@login_required
def action_complete(request: HttpRequest, action_id: uuid.UUID) -> HttpResponse:
    try:
        action = selectors_meetings.action_get(user=request.user, action_id=action_id)
        services.action_complete(actor=request.user, action=action)
    except NotFound as exc:
        raise _not_found(exc) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Åtgärden är klarmarkerad."))
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("frontend:start")


@require_safe
@never_cache
@login_required
def meeting_minutes(request: HttpRequest, meeting_id: uuid.UUID) -> HttpResponse:
    try:
        view = selectors_meetings.minutes_get(user=request.user, meeting_id=meeting_id)
    except NotFound as exc:
        raise _not_found(exc) from exc
    return render(
        request, "frontend/meetings/minutes.html", {"view": view, "meeting": view.meeting}
    )


# ---------------------------------------------------------------------------------------
# Inbox and follow-up


@require_safe
@never_cache
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "frontend/meetings/inbox.html",
        {
            "calls": selectors_meetings.calls_waiting(user=request.user),
            "meetings": selectors_meetings.meetings_today(user=request.user),
        },
    )


@require_safe
@never_cache
@login_required
def inbox_state(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"count": selectors_meetings.inbox_count(user=request.user)})


@require_safe
@never_cache
@login_required
def meeting_measurements(request: HttpRequest) -> HttpResponse:
    try:
        figures = selectors_meetings.meeting_measurements(user=request.user)
    except NotFound as exc:
        raise _not_found(exc) from exc
    return render(
        request,
        "frontend/meetings/measurements.html",
        {"figures": figures, "routines": selectors_meetings.routines_for(user=request.user)},
    )


# ---------------------------------------------------------------------------------------
# The routine, kept by the municipality's coordinators

WEEKDAYS = [
    gettext_lazy("måndag"),
    gettext_lazy("tisdag"),
    gettext_lazy("onsdag"),
    gettext_lazy("torsdag"),
    gettext_lazy("fredag"),
    gettext_lazy("lördag"),
    gettext_lazy("söndag"),
]


class RoutineForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Rutinens text"), widget=forms.Textarea(attrs={"rows": 6})
    )
    checklist = forms.CharField(
        label=gettext_lazy("Checklista"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("En punkt per rad."),
    )
    trigger_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Händelser som föreslår att styrgruppen kallas"),
        choices=IncidentKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    escalation_minutes = forms.IntegerField(
        label=gettext_lazy("Minuter utan svar innan kallelsen går vidare"),
        min_value=1,
        max_value=240,
    )
    on_call_person = forms.ChoiceField(label=gettext_lazy("Jourhavande (socialjouren)"))

    def __init__(self, *args: Any, routine: Routine, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.routine = routine
        unit = routine.on_call_unit
        self.on_call = {
            str(p.pk): p for p in (meeting_services.action_owners(unit) if unit else [])
        }
        if routine.on_call_person is not None:
            self.on_call.setdefault(str(routine.on_call_person.pk), routine.on_call_person)
        on_call_field = self.fields["on_call_person"]
        assert isinstance(on_call_field, forms.ChoiceField)
        on_call_field.choices = [("", _("Ingen"))] + [
            (key, meeting_services.name_of(person)) for key, person in self.on_call.items()
        ]
        on_call_field.required = False
        hours = routine.office_hours or {}
        for day, label in enumerate(WEEKDAYS):
            span = hours.get(str(day)) or ["", ""]
            for part, index in (("start", 0), ("end", 1)):
                self.fields[f"day{day}_{part}"] = forms.CharField(
                    label=f"{label} {_('från') if part == 'start' else _('till')}",
                    required=False,
                    initial=span[index],
                    widget=forms.TimeInput(attrs={"type": "time"}),
                )

    def main_fields(self) -> list[Any]:
        return [
            self[name]
            for name in (
                "text",
                "checklist",
                "trigger_kinds",
                "escalation_minutes",
                "on_call_person",
            )
        ]

    def day_fields(self) -> list[tuple[str, Any, Any]]:
        return [
            (str(label), self[f"day{day}_start"], self[f"day{day}_end"])
            for day, label in enumerate(WEEKDAYS)
        ]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        keys = {item["text"]: item["key"] for item in self.routine.checklist or []}
        checklist = []
        used: set[str] = set()
        for number, line in enumerate(data["checklist"].splitlines(), start=1):
            text = line.strip()
            if not text:
                continue
            key = keys.get(text) or f"item-{number}"
            while key in used:
                key = f"{key}-{number}"
            used.add(key)
            checklist.append({"key": key, "text": text})
        office_hours = {}
        for day in range(7):
            start, end = data[f"day{day}_start"].strip(), data[f"day{day}_end"].strip()
            if start or end:
                office_hours[str(day)] = [start[:5], end[:5]]
        return {
            "text": data["text"].strip(),
            "checklist": checklist,
            "trigger_kinds": list(data["trigger_kinds"]),
            "escalation_minutes": data["escalation_minutes"],
            "office_hours": office_hours,
            "on_call_person": self.on_call.get(data["on_call_person"] or ""),
        }


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def routine_edit(request: HttpRequest, routine_id: uuid.UUID) -> HttpResponse:
    try:
        routine = selectors_meetings.routine_get(user=request.user, routine_id=routine_id)
    except NotFound as exc:
        raise _not_found(exc) from exc
    initial = {
        "text": routine.text,
        "checklist": "\n".join(item["text"] for item in routine.checklist or []),
        "trigger_kinds": routine.trigger_kinds,
        "escalation_minutes": routine.escalation_minutes,
        "on_call_person": str(routine.on_call_person_id or ""),
    }
    form = RoutineForm(
        data=request.POST if request.method == "POST" else None, initial=initial, routine=routine
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.routine_update(actor=request.user, routine=routine, **form.changes())
        except NotFound as exc:
            raise _not_found(exc) from exc
        except DomainError as exc:
            field = exc.detail.get("field")
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Rutinen är sparad."))
            return redirect("frontend:routine_edit", routine_id=routine.id)
    return render(request, "frontend/meetings/routine.html", {"routine": routine, "form": form})
