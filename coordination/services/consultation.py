"""The konsultativ grupp (DESIGN.md §2.2) and what follows it: the forum's schedule,
booking a case (anonymised or with consent), the support each agency offers, the
återkoppling to the client, referrals between agencies, and concern reports.

Every function is one audited change: it asks ``consent.policy``, validates, writes,
records its audit entry in the same transaction and publishes its event after commit.
Every crossing of a boundary is a ``consent.models.Disclosure`` recorded through
``consent.services.disclosure_record`` (with basis, decider and secrecy assessment);
a concern report, which has no case yet, records its basis on the report itself.
Free text is encrypted; audit entries and events never carry it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Iterable
from typing import Any

from dateutil import rrule
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from consent import policy
from consent import services as consent_services
from consent.anonymiser import case_brief
from consent.errors import DisclosureRefused
from consent.models import DisclosureContext, LegalBasis, fields_of
from coordination import identity, vault
from coordination.errors import CaseErasedError, Conflict, Forbidden, Invalid, NotFound
from coordination.models import (
    Case,
    CaseCategory,
    Forum,
    IncidentKind,
    Meeting,
    MeetingStatus,
    Membership,
    Municipality,
    Presentation,
    PresentationMode,
    Role,
    Unit,
)
from coordination.models_consultation import (
    ConcernIntake,
    ConcernOutcome,
    ConcernReport,
    ConcernStatus,
    DeclineReason,
    Feedback,
    FeedbackStatus,
    Referral,
    ReferralOutcome,
    ReferralStatus,
    Slot,
    Support,
)
from realtime import events, rooms
from realtime.publish import publish_on_commit

# Each occurrence is split into slots of this length (a one-hour meeting: three cases).
SLOT_MINUTES = 20
# How far ahead occurrences are generated.
SCHEDULE_WEEKS = 8
# Rules without their own DTSTART count from here, so that "every other week" always
# means the same weeks, whenever the schedule is generated.
RULE_ANCHOR = dt.datetime(2024, 1, 1)  # a Monday
MAX_TEXT = 4000
CONCERN_BASIS = "child_concern_report"
ANONYMISED_BASIS = "anonymised"
CONSENT_BASIS = "consent"


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _text(value: Any, field: str, *, required: bool = True, max_length: int = MAX_TEXT) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise Invalid(_("Fältet får inte vara tomt."), detail={"field": field})
    if len(text) > max_length:
        raise Invalid(_("Texten är för lång."), detail={"field": field})
    return text


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _case_key(case: Case) -> bytes:
    if case.erased_at is not None:
        raise CaseErasedError()
    try:
        return vault.case_data_key(case)
    except vault.CaseErased as exc:
        raise CaseErasedError() from exc


def _seal(case: Case, field: str, value: Any) -> bytes:
    return vault.encrypt_value(_case_key(case), str(case.id), field, value)


def _raise_refusal(refusal: policy.Refusal) -> None:
    if refusal.code == "not_found":
        raise NotFound()
    raise DisclosureRefused(refusal.reason, code=refusal.code)


def _basis(code: str) -> LegalBasis:
    basis = LegalBasis.objects.filter(code=code).first()
    if basis is None or not basis.active:
        raise Invalid(_("Den rättsliga grunden finns inte i katalogen."), detail={"field": "basis"})
    return basis


# ---------------------------------------------------------------------------------------
# The forum's schedule


def parse_recurrence(text: str) -> rrule.rrule:
    """The forum's RFC 5545 rule, in local time; ``Invalid`` names what is wrong.

    A rule may carry its own DTSTART; otherwise it counts from ``RULE_ANCHOR`` and must
    say the time of day (BYHOUR, and BYMINUTE unless on the hour).
    """
    rule_text = (text or "").strip()
    if not rule_text:
        raise Invalid(_("Forumet har ingen återkommande mötestid."), detail={"field": "recurrence"})
    zone = _zone()
    has_start = "DTSTART" in rule_text.upper()
    if not has_start and "BYHOUR" not in rule_text.upper():
        raise Invalid(
            _("Ange klockslaget i regeln (BYHOUR och BYMINUTE)."), detail={"field": "recurrence"}
        )
    try:
        if has_start:
            parsed = rrule.rrulestr(rule_text)
        else:
            parsed = rrule.rrulestr(rule_text, dtstart=RULE_ANCHOR.replace(tzinfo=zone))
    except (ValueError, TypeError) as exc:
        raise Invalid(
            _("Regeln för återkommande möten kan inte läsas (RFC 5545)."),
            detail={"field": "recurrence"},
        ) from exc
    if not isinstance(parsed, rrule.rrule):
        raise Invalid(_("Ange en enda regel."), detail={"field": "recurrence"})
    start = parsed._dtstart  # dateutil keeps the start only here
    if start is not None and start.tzinfo is None:
        parsed = parsed.replace(dtstart=start.replace(tzinfo=zone))
    if parsed._freq > rrule.DAILY:
        raise Invalid(
            _("Ett forum kan inte mötas oftare än en gång om dagen."),
            detail={"field": "recurrence"},
        )
    return parsed


def occurrences(forum: Forum, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The forum's occurrences from ``start`` to ``end``, as aware local times."""
    rule = parse_recurrence(forum.recurrence)
    zone = _zone()
    try:
        found = rule.between(start.astimezone(zone), end.astimezone(zone), inc=True)
    except TypeError as exc:  # an UNTIL without a zone against aware bounds
        raise Invalid(
            _("Regeln för återkommande möten kan inte läsas (RFC 5545)."),
            detail={"field": "recurrence"},
        ) from exc
    return [moment.astimezone(zone) for moment in found]


def _slots_for(meeting: Meeting) -> list[Slot]:
    count = max(1, meeting.duration_minutes // SLOT_MINUTES)
    length = meeting.duration_minutes // count
    return [
        Slot(
            meeting=meeting,
            number=number,
            starts_at=meeting.starts_at + dt.timedelta(minutes=length * (number - 1)),
            duration_minutes=length,
        )
        for number in range(1, count + 1)
    ]


@transaction.atomic
def forum_schedule(
    *, actor: Any, forum: Forum, weeks: int = SCHEDULE_WEEKS, now: dt.datetime | None = None
) -> list[Meeting]:
    """Generate the forum's occurrences for the coming ``weeks``, each with its slots.

    Idempotent: an occurrence that already has a meeting is left as it is, so running it
    every night (or twice at once) never duplicates a meeting. Returns the new meetings.
    """
    if actor is not None and not (
        policy.may_administer(actor)
        or (
            forum.municipality is not None
            and policy.may_configure_routine(actor, forum.municipality)
        )
    ):
        raise Forbidden()
    if forum.internal:
        raise Invalid(_("Interna forum kallas per ärende, inte enligt schema."))
    if not 1 <= weeks <= 52:
        raise Invalid(_("Ange mellan 1 och 52 veckor."), detail={"field": "weeks"})
    # Two schedulers at once queue here, and the second finds the first one's meetings.
    forum = Forum.objects.select_for_update().get(pk=forum.pk)
    start = now or timezone.now()
    wanted = occurrences(forum, start, start + dt.timedelta(weeks=weeks))
    existing = set(
        Meeting.objects.filter(forum=forum, starts_at__in=wanted).values_list(
            "starts_at", flat=True
        )
    )
    # A meeting moved to another time still stands for the occurrence it was made for.
    existing |= set(
        Meeting.objects.filter(forum=forum, revision__original_starts_at__in=wanted).values_list(
            "revision__original_starts_at", flat=True
        )
    )
    created: list[Meeting] = []
    for moment in wanted:
        if moment in existing:
            continue
        meeting = Meeting(
            forum=forum,
            starts_at=moment,
            duration_minutes=forum.default_duration_minutes,
            ad_hoc=False,
        )
        meeting.full_clean()
        meeting.save(force_insert=True)
        Slot.objects.bulk_create(_slots_for(meeting))
        created.append(meeting)
    if created:
        record(
            actor=actor,
            action="forum.scheduled",
            detail={
                "forum": str(forum.id),
                "meetings": [m.starts_at.isoformat() for m in created],
            },
        )
    return created


def forums_schedule_all(*, actor: Any, weeks: int = SCHEDULE_WEEKS) -> int:
    """Schedule every inter-agency forum that has a recurrence; returns new meetings."""
    total = 0
    for forum in Forum.objects.filter(internal=False).exclude(recurrence=""):
        total += len(forum_schedule(actor=actor, forum=forum, weeks=weeks))
    return total


# ---------------------------------------------------------------------------------------
# Booking a slot: anonymised or with consent


def _locked_slot(actor: Any, slot: Slot, case: Case) -> tuple[Slot, Case]:
    """The slot and the case locked for booking, after every check that refuses it."""
    slot = Slot.objects.select_for_update().select_related("meeting__forum").get(pk=slot.pk)
    forum = slot.meeting.forum
    if not policy.may_see_forum(actor, forum):
        raise NotFound()
    if not policy.works_on_case(actor, case):
        raise NotFound()
    case = Case.objects.select_for_update().select_related("owning_unit__agency").get(pk=case.pk)
    if case.erased_at is not None:
        raise CaseErasedError()
    if not policy.may_book_slot(actor, forum, case):
        raise Forbidden(_("Ärendets myndighet deltar inte i det här forumet."))
    meeting = slot.meeting
    ends = meeting.starts_at + dt.timedelta(minutes=meeting.duration_minutes)
    if meeting.status == MeetingStatus.CLOSED or ends <= timezone.now():
        raise Conflict(_("Mötet har redan varit."))
    if slot.presentation_id is not None:
        raise Conflict(_("Tiden är redan bokad. Välj en annan tid."), detail={"field": "slot"})
    if Presentation.objects.filter(meeting=meeting, case=case).exists():
        raise Conflict(_("Ärendet är redan bokat på det här mötet."))
    return slot, case


def _book(
    *,
    actor: Any,
    slot: Slot,
    case: Case,
    mode: str,
    basis: str,
    brief: str,
    categories: list[str],
    assessment: str,
    detail: dict[str, Any],
) -> Presentation:
    meeting = slot.meeting
    forum = meeting.forum
    disclosure = consent_services.disclosure_record(
        actor=actor,
        case=case,
        recipient=forum,
        basis=basis,
        categories=categories,
        assessment=assessment,
        context=DisclosureContext.PRESENTATION,
        meeting=meeting,
    )
    presentation = Presentation(
        meeting=meeting, case=case, mode=mode, presented_by=actor, legal_basis=basis
    )
    if brief:
        presentation.brief_ciphertext = _seal(case, f"brief:{presentation.id}", brief)
    presentation.full_clean()
    presentation.save(force_insert=True)
    slot.presentation = presentation
    slot.disclosure = disclosure
    slot.booked_by = actor
    slot.booked_at = timezone.now()
    slot.save(update_fields=["presentation", "disclosure", "booked_by", "booked_at"])
    Feedback.objects.create(presentation=presentation, case=case, officer=actor)
    record(
        actor=actor,
        action="slot.booked",
        case=case,
        legal_basis=basis,
        recipients=[forum.name],
        fields=disclosure.fields,
        detail={
            "meeting": str(meeting.id),
            "slot": str(slot.id),
            "presentation": str(presentation.id),
            "mode": mode,
            "disclosure": str(disclosure.id),
            "brief_sha256": hashlib.sha256(brief.encode()).hexdigest() if brief else "",
            **detail,
        },
    )
    publish_on_commit(
        rooms.meeting_room(meeting.id),
        events.SlotBooked(
            meeting_id=str(meeting.id),
            slot_id=str(slot.id),
            presentation_id=str(presentation.id),
            mode=mode,
        ),
    )
    return presentation


@transaction.atomic
def presentation_create_anonymised(
    *, actor: Any, slot: Slot, case: Case, text: str, fingerprint: str, assessment: str
) -> Presentation:
    """Book ``case`` on ``slot`` anonymised: exactly the redacted text the officer
    previewed and confirmed becomes the brief. A text (or redaction) that changed since
    the preview is refused, to be previewed again."""
    slot, case = _locked_slot(actor, slot, case)
    _case, draft = case_brief.brief_confirm(
        user=actor, case_id=case.id, text=text, fingerprint=fingerprint
    )
    brief = draft.text.strip()
    if not brief:
        raise Invalid(_("Skriv en dragning av ärendet."), detail={"field": "text"})
    return _book(
        actor=actor,
        slot=slot,
        case=case,
        mode=PresentationMode.ANONYMISED,
        basis=ANONYMISED_BASIS,
        brief=draft.text,
        categories=["situation"],
        assessment=assessment,
        detail={
            "redactions": len(draft.redactions),
            "warnings": [w.code for w in draft.result.warnings],
        },
    )


@transaction.atomic
def presentation_create_consented(
    *,
    actor: Any,
    slot: Slot,
    case: Case,
    categories: Iterable[str],
    assessment: str,
    text: str = "",
) -> Presentation:
    """Book ``case`` on ``slot`` with the client's consent: only when a valid consent
    names this forum and allows a presentation, and only the chosen categories. Without
    one the refusal says what is missing."""
    slot, case = _locked_slot(actor, slot, case)
    chosen = [str(c) for c in categories]
    brief = _text(text, "text", required=False)
    if brief and "situation" not in chosen:
        raise Invalid(
            _("En skriven dragning hör till uppgifterna om situation och händelser; välj dem."),
            detail={"field": "categories"},
        )
    decision = policy.may_disclose(
        actor,
        case,
        slot.meeting.forum,
        _basis(CONSENT_BASIS),
        fields_of(chosen),
        context=policy.Context.PRESENTATION,
    )
    if isinstance(decision, policy.Refusal):
        _raise_refusal(decision)
    return _book(
        actor=actor,
        slot=slot,
        case=case,
        mode=PresentationMode.CONSENTED,
        basis=CONSENT_BASIS,
        brief=brief,
        categories=chosen,
        assessment=assessment,
        detail={},
    )


def slot_book(*, actor: Any, slot: Slot, case: Case, mode: str, **kwargs: Any) -> Presentation:
    """Book a slot in the chosen mode (see the two functions it calls)."""
    if mode == PresentationMode.ANONYMISED:
        return presentation_create_anonymised(actor=actor, slot=slot, case=case, **kwargs)
    if mode == PresentationMode.CONSENTED:
        return presentation_create_consented(actor=actor, slot=slot, case=case, **kwargs)
    raise Invalid(_("Välj avidentifierat eller med samtycke."), detail={"field": "mode"})


# ---------------------------------------------------------------------------------------
# In the meeting: the support each agency offers


def presentation_disclosed_fields(presentation: Presentation) -> frozenset[str] | None:
    """The fields the presentation's recorded disclosure put on the table."""
    slot = Slot.objects.select_related("disclosure").filter(presentation=presentation).first()
    if slot is None or slot.disclosure is None:
        return None
    return frozenset(slot.disclosure.fields)


def check_anonymised_text(presentation: Presentation, text: str) -> None:
    """Refuse text that names the person of an anonymised presentation (the categories
    found are named, never the values)."""
    if presentation.mode != PresentationMode.ANONYMISED:
        return
    if presentation.case.erased_at is not None:
        return
    case_brief.check_message(presentation.case, text)


@transaction.atomic
def support_record(*, actor: Any, presentation: Presentation, unit: Unit, text: str) -> Support:
    """An agency's unit states (or changes) what support it can offer for a presented
    case. In an anonymised presentation the text may not name the person."""
    presentation = Presentation.objects.select_related(
        "meeting__forum", "case__owning_unit__agency"
    ).get(pk=presentation.pk)
    meeting = presentation.meeting
    decision = policy.presentation_decision(
        actor, presentation, presentation_disclosed_fields(presentation)
    )
    if not decision.allowed:
        raise NotFound()
    if not policy.may_record_support(actor, meeting, unit):
        raise Forbidden(_("Du kan bara föra in stöd för en enhet som du företräder i forumet."))
    if meeting.status == MeetingStatus.CLOSED:
        raise Conflict(_("Mötet är avslutat."))
    case = presentation.case
    if case.erased_at is not None:
        raise CaseErasedError()
    body = _text(text, "text", max_length=2000)
    check_anonymised_text(presentation, body)
    support = (
        Support.objects.select_for_update().filter(presentation=presentation, unit=unit).first()
    )
    changed = support is not None
    if support is None:
        support = Support(presentation=presentation, unit=unit, recorded_by=actor)
    support.recorded_by = actor
    support.text_ciphertext = _seal(case, f"support:{support.id}", body)
    support.full_clean()
    support.save()
    record(
        actor=actor,
        action="support.recorded",
        case=case,
        legal_basis=decision.basis,
        fields=["support"],
        detail={
            "meeting": str(meeting.id),
            "presentation": str(presentation.id),
            "support": str(support.id),
            "unit": str(unit),
            "changed": changed,
            "text_sha256": hashlib.sha256(body.encode()).hexdigest(),
        },
    )
    publish_on_commit(
        rooms.meeting_room(meeting.id),
        events.SupportRecorded(
            meeting_id=str(meeting.id),
            presentation_id=str(presentation.id),
            support_id=str(support.id),
            unit=str(unit),
            recorded_by=_name(actor),
            at=support.updated_at.isoformat(),
        ),
    )
    return support


# ---------------------------------------------------------------------------------------
# Afterwards: the återkoppling to the client


def _locked_feedback(actor: Any, feedback: Feedback) -> Feedback:
    feedback = (
        Feedback.objects.select_for_update()
        .select_related("case__owning_unit", "presentation")
        .get(pk=feedback.pk)
    )
    if not policy.may_follow_feedback(actor, feedback):
        raise NotFound()
    if feedback.case.erased_at is not None:
        raise CaseErasedError()
    if feedback.status == FeedbackStatus.DONE:
        raise Conflict(_("Återkopplingen är redan klar."))
    return feedback


@transaction.atomic
def feedback_record(*, actor: Any, feedback: Feedback, told: str, wishes: str = "") -> Feedback:
    """What the client was told about the consultation, and the client's wishes for the
    further contacts with the agencies."""
    feedback = _locked_feedback(actor, feedback)
    told_text = _text(told, "told")
    wishes_text = _text(wishes, "wishes", required=False)
    case = feedback.case
    feedback.told_ciphertext = _seal(case, f"feedback:{feedback.id}:told", told_text)
    feedback.wishes_ciphertext = _seal(case, f"feedback:{feedback.id}:wishes", wishes_text)
    feedback.recorded_at = timezone.now()
    feedback.recorded_by = actor
    feedback.save(
        update_fields=["told_ciphertext", "wishes_ciphertext", "recorded_at", "recorded_by"]
    )
    record(
        actor=actor,
        action="feedback.recorded",
        case=case,
        legal_basis=policy.Basis.OWNING_UNIT,
        fields=["support"],
        detail={"feedback": str(feedback.id), "presentation": str(feedback.presentation_id)},
    )
    publish_on_commit(
        rooms.case_room(case.id),
        events.FeedbackUpdated(
            case_id=str(case.id), feedback_id=str(feedback.id), status=feedback.status
        ),
    )
    return feedback


@transaction.atomic
def feedback_complete(*, actor: Any, feedback: Feedback) -> Feedback:
    """The återkoppling is done: it leaves the officer's start page."""
    feedback = _locked_feedback(actor, feedback)
    if not feedback.told_ciphertext:
        raise Invalid(
            _("Skriv vad klienten fick veta innan du markerar återkopplingen som klar."),
            detail={"field": "told"},
        )
    feedback.status = FeedbackStatus.DONE
    feedback.done_at = timezone.now()
    feedback.done_by = actor
    feedback.save(update_fields=["status", "done_at", "done_by"])
    record(
        actor=actor,
        action="feedback.completed",
        case=feedback.case,
        legal_basis=policy.Basis.OWNING_UNIT,
        detail={"feedback": str(feedback.id), "presentation": str(feedback.presentation_id)},
    )
    publish_on_commit(
        rooms.case_room(feedback.case_id),
        events.FeedbackUpdated(
            case_id=str(feedback.case_id), feedback_id=str(feedback.id), status=feedback.status
        ),
    )
    return feedback


# ---------------------------------------------------------------------------------------
# Referrals (remiss)


def referral_receivers(referral: Referral) -> list[int]:
    """The people who handle the referral on the receiving side."""
    units = policy.referral_units(referral)
    people = set(
        Membership.objects.filter(
            unit__in=units, role__in=[Role.CASE_OFFICER, Role.SECTION_LEAD], user__is_active=True
        ).values_list("user_id", flat=True)
    )
    for unit in units.prefetch_related("deputies"):
        if unit.lead_id is not None:
            people.add(unit.lead_id)
        people |= {d.pk for d in unit.deputies.all()}
    return sorted(people)


def _referral_url(referral: Referral) -> str:
    return reverse("frontend:referral", kwargs={"referral_id": referral.id})


def _publish_referral(referral: Referral) -> None:
    case = referral.case
    event = events.ReferralUpdated(
        referral_id=str(referral.id),
        status=referral.status,
        status_display=str(referral.get_status_display()),
        case_reference="" if case.protected_identity else case.reference,
        from_unit=str(referral.from_unit),
        to=referral.recipient_name,
        at=timezone.now().isoformat(),
        url=_referral_url(referral),
    )
    publish_on_commit(rooms.case_room(case.id), event)
    for user_id in referral_receivers(referral):
        publish_on_commit(rooms.inbox_room(user_id), event)


@transaction.atomic
def referral_send(
    *,
    actor: Any,
    case: Case,
    to_unit: Unit,
    basis: LegalBasis | str,
    categories: Iterable[str],
    text: str,
    assessment: str,
    presentation: Presentation | None = None,
) -> Referral:
    """Send the case, only the chosen categories, to a unit of another agency.

    The disclosure is recorded first (consent or another basis from the catalogue, the
    person's secrecy assessment); a refusal says what is missing and sends nothing.
    """
    if not policy.works_on_case(actor, case):
        raise NotFound()
    case = Case.objects.select_for_update().select_related("owning_unit__agency").get(pk=case.pk)
    if case.erased_at is not None:
        raise CaseErasedError()
    if presentation is not None and presentation.case_id != case.pk:
        raise Invalid(_("Dragningen hör till ett annat ärende."), detail={"field": "presentation"})
    body = _text(text, "text")
    disclosure = consent_services.disclosure_record(
        actor=actor,
        case=case,
        recipient=to_unit,
        basis=basis,
        categories=categories,
        assessment=assessment,
        context=DisclosureContext.REFERRAL,
    )
    referral = Referral(
        case=case,
        from_unit=case.owning_unit,
        to_agency=to_unit.agency,
        to_unit=to_unit,
        categories=list(disclosure.categories),
        basis=disclosure.basis,
        disclosure=disclosure,
        presentation=presentation,
        sent_by=actor,
    )
    referral.text_ciphertext = _seal(case, f"referral:{referral.id}:text", body)
    referral.full_clean()
    referral.save(force_insert=True)
    record(
        actor=actor,
        action="referral.sent",
        case=case,
        legal_basis=disclosure.basis_code,
        recipients=[referral.recipient_name],
        fields=disclosure.fields,
        detail={
            "referral": str(referral.id),
            "disclosure": str(disclosure.id),
            "presentation": str(presentation.id) if presentation else "",
        },
    )
    _publish_referral(referral)
    return referral


def _locked_referral(actor: Any, referral: Referral, status: str) -> Referral:
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("case__owning_unit", "to_agency", "to_unit", "from_unit", "disclosure")
        .get(pk=referral.pk)
    )
    side = policy.referral_side(actor, referral)
    if not side:
        raise NotFound()
    if not policy.may_answer_referral(actor, referral):
        raise Forbidden(_("Bara den mottagande enheten kan svara på remissen."))
    if referral.status != status:
        raise Conflict(
            _("Remissen är redan %(status)s.") % {"status": referral.get_status_display()}
        )
    if referral.case.erased_at is not None:
        raise CaseErasedError()
    return referral


def _referral_audit(actor: Any, referral: Referral, action: str, **detail: Any) -> None:
    record(
        actor=actor,
        action=action,
        case=referral.case,
        legal_basis=referral.disclosure.basis_code,
        recipients=[str(referral.from_unit)],
        detail={"referral": str(referral.id), **detail},
    )


@transaction.atomic
def referral_accept(*, actor: Any, referral: Referral) -> Referral:
    """The receiving unit takes the referral on, while its basis still holds."""
    referral = _locked_referral(actor, referral, ReferralStatus.SENT)
    if not policy.disclosure_still_holds(referral.disclosure):
        raise Conflict(
            _(
                "Grunden för remissen gäller inte längre (samtycket är återkallat eller har gått ut)."
            )
        )
    referral.status = ReferralStatus.ACCEPTED
    referral.answered_by = actor
    referral.answered_at = timezone.now()
    referral.save(update_fields=["status", "answered_by", "answered_at"])
    _referral_audit(actor, referral, "referral.accepted")
    _publish_referral(referral)
    return referral


@transaction.atomic
def referral_decline(*, actor: Any, referral: Referral, reason: str, note: str = "") -> Referral:
    """The receiving unit declines, saying why (no capacity, not our responsibility …)."""
    referral = _locked_referral(actor, referral, ReferralStatus.SENT)
    if reason not in DeclineReason.values:
        raise Invalid(_("Ange varför ni avböjer."), detail={"field": "reason"})
    note_text = _text(note, "note", required=reason == DeclineReason.OTHER, max_length=1000)
    referral.status = ReferralStatus.DECLINED
    referral.decline_reason = reason
    if note_text:
        referral.decline_note_ciphertext = _seal(
            referral.case, f"referral:{referral.id}:decline", note_text
        )
    referral.answered_by = actor
    referral.answered_at = timezone.now()
    referral.save(
        update_fields=[
            "status",
            "decline_reason",
            "decline_note_ciphertext",
            "answered_by",
            "answered_at",
        ]
    )
    _referral_audit(actor, referral, "referral.declined", reason=reason)
    _publish_referral(referral)
    return referral


@transaction.atomic
def referral_close(*, actor: Any, referral: Referral, outcome: str) -> Referral:
    """The receiver reports the outcome (a category only), which closes the referral."""
    referral = _locked_referral(actor, referral, ReferralStatus.ACCEPTED)
    if outcome not in ReferralOutcome.values:
        raise Invalid(_("Ange utfallet."), detail={"field": "outcome"})
    referral.status = ReferralStatus.CLOSED
    referral.outcome = outcome
    referral.closed_by = actor
    referral.closed_at = timezone.now()
    referral.save(update_fields=["status", "outcome", "closed_by", "closed_at"])
    _referral_audit(actor, referral, "referral.closed", outcome=outcome)
    _publish_referral(referral)
    return referral


# ---------------------------------------------------------------------------------------
# Concern reports (orosanmälan)


def concern_handlers(unit: Unit) -> list[int]:
    """The people who receive the unit's concern reports: its officers and leads."""
    people = set(
        Membership.objects.filter(
            unit=unit, role__in=[Role.CASE_OFFICER, Role.SECTION_LEAD], user__is_active=True
        ).values_list("user_id", flat=True)
    )
    if unit.lead_id is not None:
        people.add(unit.lead_id)
    people |= set(unit.deputies.values_list("pk", flat=True))
    return sorted(people)


def concern_key(report: ConcernReport) -> bytes:
    """The report's own data key (``vault.CaseErased`` once it has been destroyed)."""
    return vault.unwrap_data_key(report.vault_id, report.wrapped_data_key, report.data_key_id)


def concern_content(report: ConcernReport) -> dict[str, Any]:
    """The report's decrypted content; keep it in memory only."""
    value = vault.decrypt_value(
        concern_key(report), report.vault_id, "content", report.content_ciphertext
    )
    return value if isinstance(value, dict) else {}


def _concern_url(report: ConcernReport) -> str:
    return reverse("frontend:concern", kwargs={"report_id": report.id})


@transaction.atomic
def concern_report_submit(
    *,
    actor: Any,
    reporter_unit: Unit,
    municipality: Municipality,
    child_name: str,
    text: str,
    child_personnummer: str = "",
    reporter_phone: str = "",
) -> ConcernReport:
    """Report concern about a child to the social services of the child's municipality.

    The duty to report is the basis (from the catalogue); the report is recorded as what
    crossed, to whom and by whom. The receiving unit is told at once.
    """
    basis = _basis(CONCERN_BASIS)
    intake = (
        ConcernIntake.objects.select_related("unit__agency")
        .filter(municipality=municipality)
        .first()
    )
    if intake is None:
        raise Invalid(
            _("%(municipality)s tar ännu inte emot orosanmälningar här. Ring socialtjänsten.")
            % {"municipality": municipality.name},
            detail={"field": "municipality"},
        )
    refusal = policy.concern_report_refusal(actor, reporter_unit, intake.unit, basis)
    if refusal is not None:
        raise DisclosureRefused(refusal.reason, code=refusal.code)
    content = {
        "child_name": _text(child_name, "child_name", max_length=200),
        "child_personnummer": "",
        "text": _text(text, "text"),
        "reporter_phone": _text(reporter_phone, "reporter_phone", required=False, max_length=40),
    }
    if child_personnummer.strip():
        try:
            digits = identity.normalise(child_personnummer)
        except identity.InvalidIdentityNumber as exc:
            raise Invalid(
                _("Ogiltigt personnummer eller samordningsnummer."),
                detail={"field": "child_personnummer"},
            ) from exc
        content["child_personnummer"] = f"{digits[:8]}-{digits[8:]}"
    report = ConcernReport(
        reporter=actor,
        reporter_unit=reporter_unit,
        municipality=municipality,
        receiving_unit=intake.unit,
        basis=basis,
    )
    report.wrapped_data_key, report.data_key_id = vault.new_wrapped_data_key(report.vault_id)
    report.content_ciphertext = vault.encrypt_value(
        concern_key(report), report.vault_id, "content", content
    )
    report.full_clean()
    report.save(force_insert=True)
    record(
        actor=actor,
        action="concern.submitted",
        unit=reporter_unit,
        legal_basis=basis.code,
        recipients=[str(intake.unit)],
        fields=["name", "situation"] + (["personnummer"] if content["child_personnummer"] else []),
        detail={"report": str(report.id), "municipality": municipality.code},
    )
    event = events.ConcernReceived(
        report_id=str(report.id),
        from_agency=reporter_unit.agency.name,
        municipality=municipality.name,
        submitted_at=report.submitted_at.isoformat(),
        url=_concern_url(report),
    )
    for user_id in concern_handlers(intake.unit):
        publish_on_commit(rooms.inbox_room(user_id), event)
    return report


def _publish_concern(report: ConcernReport) -> None:
    event = events.ConcernUpdated(
        report_id=str(report.id),
        status=report.status,
        status_display=str(report.get_status_display()),
        acknowledged_at=report.acknowledged_at.isoformat() if report.acknowledged_at else "",
        outcome=report.outcome,
        outcome_display=str(report.get_outcome_display()) if report.outcome else "",
        url=_concern_url(report),
    )
    for user_id in sorted({report.reporter_id, *concern_handlers(report.receiving_unit)}):
        publish_on_commit(rooms.inbox_room(user_id), event)


def _locked_report(actor: Any, report: ConcernReport) -> ConcernReport:
    report = (
        ConcernReport.objects.select_for_update()
        .select_related("receiving_unit__agency", "reporter_unit__agency", "municipality")
        .get(pk=report.pk)
    )
    side = policy.concern_report_side(actor, report)
    if not side:
        raise NotFound()
    if side != "receiver":
        raise Forbidden(_("Bara den mottagande enheten hanterar anmälan."))
    return report


def _concern_audit(actor: Any, report: ConcernReport, action: str, **detail: Any) -> None:
    record(
        actor=actor,
        action=action,
        case=report.case,
        unit=report.receiving_unit,
        legal_basis=report.basis.code,
        recipients=[str(report.reporter_unit)],
        detail={"report": str(report.id), **detail},
    )


@transaction.atomic
def concern_report_acknowledge(*, actor: Any, report: ConcernReport) -> ConcernReport:
    """Receipt: the reporter sees that the report has been received, and when."""
    report = _locked_report(actor, report)
    if report.acknowledged_at is not None:
        raise Conflict(_("Anmälan är redan kvitterad."))
    report.status = ConcernStatus.RECEIVED
    report.acknowledged_at = timezone.now()
    report.acknowledged_by = actor
    report.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    _concern_audit(actor, report, "concern.acknowledged")
    _publish_concern(report)
    return report


@transaction.atomic
def concern_report_open_case(
    *, actor: Any, report: ConcernReport, category: str = CaseCategory.VINR
) -> Case:
    """Open a case in the receiving unit from the report: the child's identity goes into
    the case's vault and the concern becomes the case's first incident. The reporter is
    never told of the case."""
    from coordination.services import cases as case_services

    report = _locked_report(actor, report)
    if report.acknowledged_at is None:
        raise Conflict(_("Kvittera anmälan innan du öppnar ett ärende."))
    if report.case_id is not None:
        raise Conflict(_("Ett ärende är redan öppnat från anmälan."))
    content = concern_content(report)
    case = case_services.case_create(actor=actor, unit=report.receiving_unit, category=category)
    child = {"name": content.get("child_name", "")}
    if content.get("child_personnummer"):
        child["personnummer"] = content["child_personnummer"]
    case_services.case_identity_register(actor=actor, case=case, data=child)
    case_services.incident_register(
        actor=actor,
        case=case,
        kind=IncidentKind.OTHER,
        occurred_at=report.submitted_at,
        description=_("Orosanmälan från %(agency)s: %(text)s")
        % {"agency": report.reporter_unit.agency.name, "text": content.get("text", "")},
    )
    report.case = case
    report.case_opened_at = timezone.now()
    report.save(update_fields=["case", "case_opened_at"])
    _concern_audit(actor, report, "concern.case_opened")
    return case


@transaction.atomic
def concern_report_outcome(*, actor: Any, report: ConcernReport, outcome: str) -> ConcernReport:
    """Tell the reporter whether an investigation is opened, not opened or already under
    way: that category is all the reporter learns."""
    report = _locked_report(actor, report)
    if report.acknowledged_at is None:
        raise Conflict(_("Kvittera anmälan innan du lämnar besked."))
    if report.outcome:
        raise Conflict(_("Beskedet är redan lämnat."))
    if outcome not in ConcernOutcome.values:
        raise Invalid(_("Välj ett besked."), detail={"field": "outcome"})
    report.status = ConcernStatus.DECIDED
    report.outcome = outcome
    report.outcome_at = timezone.now()
    report.outcome_by = actor
    report.save(update_fields=["status", "outcome", "outcome_at", "outcome_by"])
    _concern_audit(actor, report, "concern.outcome_given", outcome=outcome)
    _publish_concern(report)
    return report


@transaction.atomic
def concern_intake_set(*, actor: Any, municipality: Municipality, unit: Unit) -> ConcernIntake:
    """Name the unit that receives the municipality's concern reports."""
    if actor is not None and not (
        policy.may_administer(actor) or policy.may_configure_routine(actor, municipality)
    ):
        raise Forbidden()
    if unit.agency.kind != "social_services" or unit.agency.municipality_id != municipality.pk:
        raise Invalid(
            _("Mottagaren ska vara en enhet inom kommunens socialtjänst."),
            detail={"field": "unit"},
        )
    intake, _created = ConcernIntake.objects.update_or_create(
        municipality=municipality, defaults={"unit": unit}
    )
    record(
        actor=actor,
        action="concern_intake.set",
        unit=unit,
        detail={"municipality": municipality.code, "unit": str(unit)},
    )
    return intake


__all__ = [
    "concern_intake_set",
    "concern_report_acknowledge",
    "concern_report_open_case",
    "concern_report_outcome",
    "concern_report_submit",
    "feedback_complete",
    "feedback_record",
    "forum_schedule",
    "forums_schedule_all",
    "presentation_create_anonymised",
    "presentation_create_consented",
    "referral_accept",
    "referral_close",
    "referral_decline",
    "referral_send",
    "slot_book",
    "support_record",
]
