"""Pages of the konsultativ grupp, referrals and concern reports (DESIGN.md §2.2).

Each view parses the request, calls one service or selector, and renders or redirects.
A domain error becomes a message on the form (a refused disclosure says what is
missing); a missing or forbidden object gives the same 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from consent.anonymiser import case_brief
from consent.errors import DisclosureRefused
from consent.models import InformationCategory
from consent.views_redaction import _preview_context as redaction_preview_context
from coordination import selectors, selectors_consultation
from coordination.errors import DomainError, NotFound
from coordination.models import CaseCategory, PresentationMode, Unit
from coordination.models_consultation import (
    ConcernOutcome,
    DeclineReason,
    ReferralOutcome,
)
from coordination.services import consultation as services

ANONYMISED_ASSESSMENT = gettext_lazy(
    "Ärendet dras avidentifierat. Jag har granskat avidentifieringen och bedömer att ingen "
    "i gruppen kan förstå vem det gäller."
)
CONSENTED_ASSESSMENT = gettext_lazy(
    "Klienten har samtyckt till att uppgifterna lämnas till gruppen för ärendedragning. "
    "Jag har bedömt att uppgifterna behövs för konsultationen."
)


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _field_error(form: forms.Form, exc: DomainError) -> None:
    field = exc.detail.get("field")
    form.add_error(field if field in form.fields else None, exc.message)


# ---------------------------------------------------------------------------------------
# Forums and agendas


@require_safe
@never_cache
@login_required
def forum_list(request: HttpRequest) -> HttpResponse:
    forums = selectors_consultation.forums_visible(user=request.user)
    return render(request, "frontend/consultation/forums.html", {"forums": forums})


@require_safe
@never_cache
@login_required
def forum_agenda(request: HttpRequest, forum_id: uuid.UUID) -> HttpResponse:
    try:
        agenda = selectors_consultation.forum_agenda(user=request.user, forum_id=forum_id)
    except NotFound as exc:
        raise Http404() from exc
    return render(request, "frontend/consultation/agenda.html", {"agenda": agenda})


# ---------------------------------------------------------------------------------------
# Booking


class BookingForm(forms.Form):
    case = forms.ChoiceField(label=gettext_lazy("Ärende"))
    text = forms.CharField(
        label=gettext_lazy("Dragning"),
        required=False,
        max_length=20_000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    fingerprint = forms.CharField(required=False, widget=forms.HiddenInput)
    reviewed = forms.BooleanField(
        label=gettext_lazy(
            "Jag har granskat avidentifieringen och bedömer att ingen i gruppen kan förstå "
            "vem det gäller."
        ),
        required=False,
    )
    categories = forms.MultipleChoiceField(
        label=gettext_lazy("Uppgifter som visas för gruppen"),
        required=False,
        choices=InformationCategory.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    # Checked by the disclosure itself, so that a preview needs none yet.
    assessment = forms.CharField(
        label=gettext_lazy("Sekretessbedömning (menprövning)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, cases: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case_objects = {str(c.id): c for c in cases}
        case_field = self.fields["case"]
        assert isinstance(case_field, forms.ChoiceField)
        case_field.choices = [(k, c.reference) for k, c in self.case_objects.items()]


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def slot_book(request: HttpRequest, slot_id: uuid.UUID) -> HttpResponse:
    try:
        slot = selectors_consultation.slot_get(user=request.user, slot_id=slot_id)
    except NotFound as exc:
        raise Http404() from exc
    forum = slot.meeting.forum
    mode = request.POST.get("mode") or request.GET.get("mode") or PresentationMode.ANONYMISED
    if mode not in (PresentationMode.ANONYMISED, PresentationMode.CONSENTED):
        mode = PresentationMode.ANONYMISED
    cases = selectors_consultation.bookable_cases(user=request.user, forum=forum)
    default_assessment = (
        ANONYMISED_ASSESSMENT if mode == PresentationMode.ANONYMISED else CONSENTED_ASSESSMENT
    )
    initial = {"assessment": str(default_assessment), "case": request.GET.get("case", "")}
    form = BookingForm(
        request.POST if request.method == "POST" else None, cases=cases, initial=initial
    )
    context: dict[str, Any] = {
        "slot": slot,
        "meeting": slot.meeting,
        "forum": forum,
        "mode": mode,
        "form": form,
        "cases": cases,
        "refusal": None,
        "default_assessment": str(default_assessment),
    }
    status = 200
    if request.method == "POST" and form.is_valid():
        case = form.case_objects[form.cleaned_data["case"]]
        context["case"] = case
        action = request.POST.get("action", "")
        try:
            if mode == PresentationMode.ANONYMISED:
                response = _book_anonymised(request, form, context, slot, case, action)
            else:
                response = _book_consented(request, form, context, slot, case)
            if response is not None:
                return response
        except NotFound as exc:
            raise Http404() from exc
        except DisclosureRefused as exc:
            context["refusal"] = exc.message
        except DomainError as exc:
            _field_error(form, exc)
        status = 400 if (form.errors or context["refusal"]) else 200
    elif request.method == "POST":
        status = 400
    return render(request, "frontend/consultation/book.html", context, status=status)


def _book_anonymised(
    request: HttpRequest,
    form: BookingForm,
    context: dict[str, Any],
    slot: Any,
    case: Any,
    action: str,
) -> HttpResponse | None:
    text = form.cleaned_data["text"]
    if not text.strip():
        form.add_error("text", _("Skriv en dragning av ärendet."))
        return None
    if action == "book" and not form.cleaned_data["reviewed"]:
        form.add_error(
            "reviewed", _("Kryssa i att du har granskat avidentifieringen för att boka.")
        )
    if action != "book" or form.errors:
        _case, draft = case_brief.brief_preview(user=request.user, case_id=case.id, text=text)
        context.update(redaction_preview_context(draft))
        return None
    try:
        presentation = services.presentation_create_anonymised(
            actor=request.user,
            slot=slot,
            case=case,
            text=text,
            fingerprint=form.cleaned_data["fingerprint"],
            assessment=form.cleaned_data["assessment"],
        )
    except DomainError as exc:
        if exc.detail.get("field") != "text":
            raise
        # The text changed since the preview: show the new one, to be confirmed again.
        form.add_error(None, exc.message)
        _case, draft = case_brief.brief_preview(user=request.user, case_id=case.id, text=text)
        context.update(redaction_preview_context(draft))
        return None
    messages.success(
        request, _("Ärendet är bokat avidentifierat. Gruppen ser bara den granskade texten.")
    )
    return redirect(
        f"{reverse('frontend:consultation_meeting', kwargs={'meeting_id': slot.meeting_id})}"
        f"#presentation-{presentation.id}"
    )


def _book_consented(
    request: HttpRequest, form: BookingForm, context: dict[str, Any], slot: Any, case: Any
) -> HttpResponse | None:
    categories = form.cleaned_data["categories"]
    if not categories:
        form.add_error("categories", _("Välj vilka uppgifter gruppen får se."))
        return None
    presentation = services.presentation_create_consented(
        actor=request.user,
        slot=slot,
        case=case,
        categories=categories,
        assessment=form.cleaned_data["assessment"],
        text=form.cleaned_data["text"],
    )
    messages.success(request, _("Ärendet är bokat med klientens samtycke."))
    return redirect(
        f"{reverse('frontend:consultation_meeting', kwargs={'meeting_id': slot.meeting_id})}"
        f"#presentation-{presentation.id}"
    )


# ---------------------------------------------------------------------------------------
# The meeting room


@require_safe
@never_cache
@login_required
def consultation_meeting(request: HttpRequest, meeting_id: uuid.UUID) -> HttpResponse:
    try:
        room = selectors_consultation.consultation_room(user=request.user, meeting_id=meeting_id)
    except NotFound as exc:
        raise Http404() from exc
    return render(request, "frontend/consultation/room.html", {"room": room})


class SupportForm(forms.Form):
    unit = forms.UUIDField()
    text = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


@require_POST
@login_required
def support_record(request: HttpRequest, presentation_id: uuid.UUID) -> HttpResponse:
    try:
        presentation = selectors_consultation.presentation_get(
            user=request.user, presentation_id=presentation_id
        )
    except NotFound as exc:
        raise Http404() from exc
    form = SupportForm(request.POST)
    error = ""
    if form.is_valid():
        unit = Unit.objects.filter(pk=form.cleaned_data["unit"]).first()
        try:
            if unit is None:
                raise NotFound()
            services.support_record(
                actor=request.user,
                presentation=presentation,
                unit=unit,
                text=form.cleaned_data["text"],
            )
        except DomainError as exc:
            error = exc.message
    else:
        error = _("Skriv vilket stöd enheten kan erbjuda.")
    room_url = reverse(
        "frontend:consultation_meeting", kwargs={"meeting_id": presentation.meeting_id}
    )
    if _wants_json(request):
        if error:
            return JsonResponse({"ok": False, "error": error}, status=400)
        return JsonResponse({"ok": True})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Stödet är infört."))
    return redirect(f"{room_url}#presentation-{presentation.id}")


# ---------------------------------------------------------------------------------------
# Återkoppling


class FeedbackForm(forms.Form):
    told = forms.CharField(
        label=gettext_lazy("Vad klienten fick veta"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    wishes = forms.CharField(
        label=gettext_lazy("Klientens önskemål om fortsatta kontakter"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def feedback(request: HttpRequest, presentation_id: uuid.UUID) -> HttpResponse:
    try:
        view = selectors_consultation.feedback_get(
            user=request.user, presentation_id=presentation_id
        )
    except NotFound as exc:
        raise Http404() from exc
    form = FeedbackForm(
        request.POST if request.method == "POST" else None,
        initial={"told": view.told, "wishes": view.wishes},
    )
    if request.method == "POST" and form.is_valid():
        done = request.POST.get("action") == "done"
        try:
            saved = services.feedback_record(
                actor=request.user,
                feedback=view.feedback,
                told=form.cleaned_data["told"],
                wishes=form.cleaned_data["wishes"],
            )
            if done:
                services.feedback_complete(actor=request.user, feedback=saved)
        except NotFound as exc:
            raise Http404() from exc
        except DomainError as exc:
            _field_error(form, exc)
        else:
            if done:
                messages.success(request, _("Återkopplingen är klar."))
                return redirect("frontend:start")
            messages.success(request, _("Återkopplingen är sparad."))
            return redirect("frontend:feedback", presentation_id=presentation_id)
    status = 400 if form.errors else 200
    return render(
        request, "frontend/consultation/feedback.html", {"view": view, "form": form}, status=status
    )


# ---------------------------------------------------------------------------------------
# Referrals


class ReferralForm(forms.Form):
    to_unit = forms.ChoiceField(label=gettext_lazy("Till"))
    basis = forms.ChoiceField(label=gettext_lazy("Rättslig grund"))
    categories = forms.MultipleChoiceField(
        label=gettext_lazy("Uppgifter som skickas"),
        choices=InformationCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Välj vilka uppgifter som skickas.")},
    )
    text = forms.CharField(
        label=gettext_lazy("Vad remissen gäller"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    assessment = forms.CharField(
        label=gettext_lazy("Sekretessbedömning (menprövning)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    presentation = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, options: selectors_consultation.ReferralOptions, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.units = {str(u.id): u for u in options.units}
        self.bases = {b.code: b for b in options.bases}
        to_unit, basis = self.fields["to_unit"], self.fields["basis"]
        assert isinstance(to_unit, forms.ChoiceField)
        assert isinstance(basis, forms.ChoiceField)
        to_unit.choices = [(k, str(u)) for k, u in self.units.items()]
        basis.choices = [(k, f"{b.title} ({b.statute_reference})") for k, b in self.bases.items()]


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def referral_new(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    try:
        case = selectors.case_get(user=request.user, case_id=case_id)
        options = selectors_consultation.referral_options(
            user=request.user,
            case=case,
            presentation_id=request.POST.get("presentation") or request.GET.get("presentation"),
        )
    except NotFound as exc:
        raise Http404() from exc
    initial = {
        "basis": "consent",
        "to_unit": request.GET.get("unit")
        or (str(options.suggested[0].id) if options.suggested else ""),
        "presentation": str(options.presentation.id) if options.presentation else "",
    }
    form = ReferralForm(
        request.POST if request.method == "POST" else None, options=options, initial=initial
    )
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_send(
                actor=request.user,
                case=case,
                to_unit=form.units[form.cleaned_data["to_unit"]],
                basis=form.bases[form.cleaned_data["basis"]],
                categories=form.cleaned_data["categories"],
                text=form.cleaned_data["text"],
                assessment=form.cleaned_data["assessment"],
                presentation=options.presentation,
            )
        except NotFound as exc:
            raise Http404() from exc
        except DisclosureRefused as exc:
            refusal = exc.message
        except DomainError as exc:
            _field_error(form, exc)
        else:
            messages.success(request, _("Remissen är skickad."))
            return redirect("frontend:referral", referral_id=referral.id)
    status = 400 if (form.errors or refusal) else 200
    return render(
        request,
        "frontend/consultation/referral_new.html",
        {"case": case, "options": options, "form": form, "refusal": refusal},
        status=status,
    )


@require_safe
@never_cache
@login_required
def referral_detail(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    try:
        view = selectors_consultation.referral_get(user=request.user, referral_id=referral_id)
    except NotFound as exc:
        raise Http404() from exc
    return render(
        request,
        "frontend/consultation/referral.html",
        {
            "view": view,
            "referral": view.referral,
            "decline_reasons": DeclineReason.choices,
            "outcomes": ReferralOutcome.choices,
        },
    )


def _referral_action(
    request: HttpRequest, referral_id: uuid.UUID, call: Any, done: str
) -> HttpResponse:
    try:
        referral = selectors_consultation.referral_object(
            user=request.user, referral_id=referral_id
        )
        call(referral)
    except NotFound as exc:
        raise Http404() from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("frontend:referral", referral_id=referral_id)


@require_POST
@login_required
def referral_answer(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    if request.POST.get("answer") == "accept":
        return _referral_action(
            request,
            referral_id,
            lambda r: services.referral_accept(actor=request.user, referral=r),
            _("Remissen är accepterad. Avsändaren ser det direkt."),
        )
    return _referral_action(
        request,
        referral_id,
        lambda r: services.referral_decline(
            actor=request.user,
            referral=r,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        ),
        _("Remissen är avböjd. Avsändaren ser skälet direkt."),
    )


@require_POST
@login_required
def referral_close(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    return _referral_action(
        request,
        referral_id,
        lambda r: services.referral_close(
            actor=request.user, referral=r, outcome=request.POST.get("outcome", "")
        ),
        _("Utfallet är rapporterat och remissen avslutad."),
    )


# ---------------------------------------------------------------------------------------
# Concern reports


class ConcernForm(forms.Form):
    reporter_unit = forms.ChoiceField(label=gettext_lazy("Du anmäler från"))
    municipality = forms.ChoiceField(label=gettext_lazy("Barnets kommun"))
    child_name = forms.CharField(label=gettext_lazy("Barnets namn"), max_length=200)
    child_personnummer = forms.CharField(
        label=gettext_lazy("Barnets personnummer"), required=False, max_length=20
    )
    text = forms.CharField(
        label=gettext_lazy("Vad du har sett, hört eller fått veta"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    reporter_phone = forms.CharField(
        label=gettext_lazy("Telefon där socialtjänsten når dig"), required=False, max_length=40
    )

    def __init__(
        self, *args: Any, options: selectors_consultation.ConcernOptions, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.units = {str(u.id): u for u in options.units}
        self.municipalities = {str(m.pk): m for m in options.municipalities}
        unit_field, municipality_field = self.fields["reporter_unit"], self.fields["municipality"]
        assert isinstance(unit_field, forms.ChoiceField)
        assert isinstance(municipality_field, forms.ChoiceField)
        unit_field.choices = [(k, str(u)) for k, u in self.units.items()]
        municipality_field.choices = [(k, m.name) for k, m in self.municipalities.items()]


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def concern_new(request: HttpRequest) -> HttpResponse:
    options = selectors_consultation.concern_options(user=request.user)
    if not options.units:
        raise Http404()
    form = ConcernForm(request.POST if request.method == "POST" else None, options=options)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            report = services.concern_report_submit(
                actor=request.user,
                reporter_unit=form.units[form.cleaned_data["reporter_unit"]],
                municipality=form.municipalities[form.cleaned_data["municipality"]],
                child_name=form.cleaned_data["child_name"],
                child_personnummer=form.cleaned_data["child_personnummer"],
                text=form.cleaned_data["text"],
                reporter_phone=form.cleaned_data["reporter_phone"],
            )
        except DisclosureRefused as exc:
            refusal = exc.message
        except DomainError as exc:
            _field_error(form, exc)
        else:
            messages.success(
                request,
                _("Orosanmälan är skickad. Du ser här när socialtjänsten har tagit emot den."),
            )
            return redirect("frontend:concern", report_id=report.id)
    status = 400 if (form.errors or refusal) else 200
    return render(
        request,
        "frontend/consultation/concern_new.html",
        {"form": form, "refusal": refusal},
        status=status,
    )


@require_safe
@never_cache
@login_required
def concern_detail(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    try:
        view = selectors_consultation.concern_get(user=request.user, report_id=report_id)
    except NotFound as exc:
        raise Http404() from exc
    return render(
        request,
        "frontend/consultation/concern.html",
        {
            "view": view,
            "report": view.report,
            "outcomes": ConcernOutcome.choices,
            "categories": CaseCategory.choices,
        },
    )


def _concern_action(
    request: HttpRequest, report_id: uuid.UUID, call: Any, done: str
) -> HttpResponse:
    try:
        report = selectors_consultation.concern_object(user=request.user, report_id=report_id)
        result = call(report)
    except NotFound as exc:
        raise Http404() from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
        if hasattr(result, "reference"):
            return redirect("frontend:case", case_id=result.id)
    return redirect("frontend:concern", report_id=report_id)


@require_POST
@login_required
def concern_acknowledge(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    return _concern_action(
        request,
        report_id,
        lambda r: services.concern_report_acknowledge(actor=request.user, report=r),
        _("Anmälan är kvitterad. Anmälaren ser att den har tagits emot."),
    )


@require_POST
@login_required
def concern_open_case(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    category = request.POST.get("category", CaseCategory.VINR)
    return _concern_action(
        request,
        report_id,
        lambda r: services.concern_report_open_case(
            actor=request.user, report=r, category=category
        ),
        _("Ett ärende är öppnat från anmälan."),
    )


@require_POST
@login_required
def concern_outcome(request: HttpRequest, report_id: uuid.UUID) -> HttpResponse:
    return _concern_action(
        request,
        report_id,
        lambda r: services.concern_report_outcome(
            actor=request.user, report=r, outcome=request.POST.get("outcome", "")
        ),
        _("Beskedet är lämnat till anmälaren."),
    )
