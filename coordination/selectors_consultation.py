"""Reads for the konsultativ grupp, referrals and concern reports (DESIGN.md §2.2).

Each person sees exactly what ``consent.policy`` allows: a forum member sees an
anonymised presentation's confirmed brief but never its case reference, a consented
one only the fields its disclosure put on the table, a referral's receiver only the
categories referred and only while the basis holds, a concern report's reporter the
receipt and the outcome but never the case. Every read that shows case or report
content is recorded in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record_atomic
from consent import policy
from consent.models import InformationCategory, LegalBasis
from coordination import vault
from coordination.errors import NotFound
from coordination.models import (
    Case,
    Forum,
    Incident,
    Meeting,
    MeetingStatus,
    Membership,
    Municipality,
    Presentation,
    PresentationMode,
    RiskAssessment,
    Role,
    Unit,
)
from coordination.models_consultation import (
    ConcernIntake,
    ConcernReport,
    ConcernStatus,
    Feedback,
    FeedbackStatus,
    Referral,
    ReferralStatus,
    Slot,
    Support,
)
from coordination.services import consultation as services

# ---------------------------------------------------------------------------------------
# Forums and their agendas


@dataclass(frozen=True)
class SlotView:
    slot: Slot
    label: str  # what this person may call the booked case ("" when free)
    mine: bool  # the person works on the booked case

    @property
    def free(self) -> bool:
        return self.slot.presentation_id is None


@dataclass(frozen=True)
class MeetingAgenda:
    meeting: Meeting
    slots: list[SlotView]

    @property
    def free(self) -> int:
        return sum(1 for s in self.slots if s.free)


@dataclass(frozen=True)
class ForumAgenda:
    forum: Forum
    meetings: list[MeetingAgenda]
    member_units: list[Unit]
    bookable_cases: list[Case]
    is_member: bool


@dataclass(frozen=True)
class ForumSummary:
    forum: Forum
    next_meeting: Meeting | None
    free_slots: int


def _forum(forum_id: uuid.UUID | str) -> Forum:
    try:
        return Forum.objects.select_related("municipality").get(pk=forum_id)
    except (Forum.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def forum_get(*, user: Any, forum_id: uuid.UUID | str) -> Forum:
    forum = _forum(forum_id)
    if not policy.may_see_forum(user, forum):
        raise NotFound()
    return forum


def _upcoming(forum: Forum, *, now: dt.datetime | None = None) -> QuerySet[Meeting]:
    """Meetings not yet over (one that has started is still on the agenda)."""
    moment = now or timezone.now()
    return (
        Meeting.objects.filter(forum=forum, starts_at__gte=moment - dt.timedelta(hours=4))
        .exclude(status=MeetingStatus.CLOSED)
        .order_by("starts_at")
    )


def forums_visible(*, user: Any) -> list[ForumSummary]:
    """The inter-agency forums this person sits in or books cases on, with the next meeting."""
    if not getattr(user, "is_authenticated", False):
        return []
    units = Membership.objects.filter(user=user).values("unit__agency_id")
    candidates = (
        Forum.objects.filter(internal=False, member_units__agency_id__in=units)
        .distinct()
        .order_by("name")
    )
    found = []
    for forum in candidates:
        if not policy.may_see_forum(user, forum):
            continue
        meeting = (
            _upcoming(forum)
            .annotate(free=Count("slots", filter=Q(slots__presentation__isnull=True)))
            .first()
        )
        found.append(
            ForumSummary(
                forum=forum,
                next_meeting=meeting,
                free_slots=getattr(meeting, "free", 0) if meeting else 0,
            )
        )
    return found


def _slot_label(user: Any, slot: Slot, presentations: dict[Any, Presentation]) -> SlotView:
    presentation = presentations.get(slot.presentation_id)
    if presentation is None:
        return SlotView(slot=slot, label="", mine=False)
    case = presentation.case
    if policy.works_on_case(user, case):
        return SlotView(slot=slot, label=case.reference, mine=True)
    if presentation.mode == PresentationMode.ANONYMISED:
        # Never the reference: it would let a later disclosure be linked to this one.
        return SlotView(slot=slot, label=_("Avidentifierat ärende"), mine=False)
    decision = policy.presentation_decision(
        user, presentation, services.presentation_disclosed_fields(presentation)
    )
    if decision.level is policy.Level.IDENTIFIED:
        return SlotView(slot=slot, label=case.reference, mine=False)
    return SlotView(slot=slot, label=_("Ärende med samtycke"), mine=False)


def _agenda(user: Any, meetings: Iterable[Meeting]) -> list[MeetingAgenda]:
    meetings = list(meetings)
    slots = list(Slot.objects.filter(meeting__in=meetings).order_by("meeting__starts_at", "number"))
    presentations = {
        p.pk: p
        for p in Presentation.objects.filter(
            pk__in=[s.presentation_id for s in slots if s.presentation_id]
        ).select_related("case__owning_unit__agency", "meeting__forum")
    }
    by_meeting: dict[Any, list[SlotView]] = {m.pk: [] for m in meetings}
    for slot in slots:
        by_meeting[slot.meeting_id].append(_slot_label(user, slot, presentations))
    return [MeetingAgenda(meeting=m, slots=by_meeting[m.pk]) for m in meetings]


def bookable_cases(*, user: Any, forum: Forum) -> list[Case]:
    """The cases this person may book on the forum (references only)."""
    return [
        case
        for case in policy.visible_cases(user).filter(erased_at__isnull=True).order_by("reference")
        if policy.may_book_slot(user, forum, case)
    ]


def forum_agenda(*, user: Any, forum_id: uuid.UUID | str, weeks: int = 8) -> ForumAgenda:
    forum = forum_get(user=user, forum_id=forum_id)
    now = timezone.now()
    meetings = _upcoming(forum, now=now).filter(starts_at__lte=now + dt.timedelta(weeks=weeks))
    return ForumAgenda(
        forum=forum,
        meetings=_agenda(user, meetings),
        member_units=list(forum.member_units.select_related("agency").order_by("agency__name")),
        bookable_cases=bookable_cases(user=user, forum=forum),
        is_member=policy.forum_units_of(user, forum).exists(),
    )


def slot_get(*, user: Any, slot_id: uuid.UUID | str) -> Slot:
    try:
        slot = Slot.objects.select_related("meeting__forum").get(pk=slot_id)
    except (Slot.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if not policy.may_see_forum(user, slot.meeting.forum):
        raise NotFound()
    return slot


# ---------------------------------------------------------------------------------------
# The meeting room


@dataclass(frozen=True)
class SupportView:
    support: Support
    text: str
    readable: bool


@dataclass(frozen=True)
class IncidentLine:
    kind_display: str
    occurred_at: dt.datetime
    description: str


@dataclass
class PresentationView:
    presentation: Presentation
    slot: Slot
    decision: policy.Decision
    label: str
    mine: bool
    brief: str = ""
    identity: dict[str, Any] = field(default_factory=dict)
    incidents: list[IncidentLine] = field(default_factory=list)
    risks: list[RiskAssessment] = field(default_factory=list)
    supports: list[SupportView] = field(default_factory=list)
    erased: bool = False
    feedback: Feedback | None = None

    @property
    def visible(self) -> bool:
        return self.decision.allowed

    @property
    def anonymised(self) -> bool:
        return self.presentation.mode == PresentationMode.ANONYMISED


@dataclass(frozen=True)
class ConsultationRoom:
    meeting: Meeting
    forum: Forum
    agenda: list[SlotView]
    presentations: list[PresentationView]
    my_units: list[Unit]
    anonymised_present: bool

    @property
    def may_record_support(self) -> bool:
        return bool(self.my_units) and self.meeting.status != MeetingStatus.CLOSED


def _meeting(meeting_id: uuid.UUID | str) -> Meeting:
    try:
        return Meeting.objects.select_related("forum__municipality").get(pk=meeting_id)
    except (Meeting.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def _open(case: Case, key: bytes | None, name: str, blob: Any) -> str:
    if key is None or not blob:
        return ""
    value = vault.decrypt_value(key, str(case.id), name, blob)
    return str(value) if value is not None else ""


def _key(case: Case) -> bytes | None:
    if case.erased_at is not None:
        return None
    try:
        return vault.case_data_key(case)
    except vault.CaseErased:
        return None


def _supports(presentation: Presentation, key: bytes | None) -> list[SupportView]:
    views = []
    rows = Support.objects.filter(presentation=presentation).select_related(
        "unit__agency", "recorded_by"
    )
    for support in rows.order_by("unit__agency__name", "unit__name"):
        text = _open(presentation.case, key, f"support:{support.id}", support.text_ciphertext)
        views.append(SupportView(support=support, text=text, readable=key is not None))
    return views


def _presentation_view(user: Any, slot: Slot, presentation: Presentation) -> PresentationView:
    case = presentation.case
    disclosed = services.presentation_disclosed_fields(presentation)
    decision = policy.presentation_decision(user, presentation, disclosed)
    label_view = _slot_label(user, slot, {presentation.pk: presentation})
    view = PresentationView(
        presentation=presentation,
        slot=slot,
        decision=decision,
        label=label_view.label,
        mine=label_view.mine,
        erased=case.erased_at is not None,
    )
    if not decision.allowed:
        return view
    key = _key(case)
    # The presenter sees what the group sees; the others what the policy lets them.
    shown = frozenset(disclosed or ()) if view.mine else decision.fields
    anonymised = presentation.mode == PresentationMode.ANONYMISED
    if anonymised or "situation" in shown:
        view.brief = _open(case, key, f"brief:{presentation.id}", presentation.brief_ciphertext)
    if not anonymised and key is not None:
        wanted = shown & policy.IDENTITY_FIELDS
        for row in case.identity_fields.filter(name__in=wanted):
            view.identity[row.name] = vault.decrypt_value(
                key, str(case.id), row.name, row.ciphertext
            )
        if "situation" in shown:
            for incident in Incident.objects.filter(case=case):
                view.incidents.append(
                    IncidentLine(
                        kind_display=str(incident.get_kind_display()),
                        occurred_at=incident.occurred_at,
                        description=_open(
                            case, key, f"incident:{incident.id}", incident.description_ciphertext
                        ),
                    )
                )
        if "risk" in shown:
            view.risks = list(RiskAssessment.objects.filter(case=case))
    view.supports = _supports(presentation, key)
    if view.mine:
        view.feedback = Feedback.objects.filter(presentation=presentation).first()
    return view


def _record_presentation_read(user: Any, view: PresentationView, where: str) -> None:
    shown = set(view.identity)
    if view.brief or view.incidents:
        shown.add("situation")
    if view.risks:
        shown.add("risk")
    if view.supports:
        shown.add("support")
    record_atomic(
        actor=user,
        action="case.viewed",
        case=view.presentation.case,
        legal_basis=view.decision.basis,
        fields=shown,
        detail={
            "context": str(policy.Context.PRESENTATION),
            "meeting": str(view.presentation.meeting_id),
            "presentation": str(view.presentation.id),
            "level": str(view.decision.level),
            "flagged": view.decision.flagged,
            "where": where,
        },
    )


def consultation_room(*, user: Any, meeting_id: uuid.UUID | str) -> ConsultationRoom:
    """A forum occurrence as one participant may see it: the agenda, each presented case
    at the level the policy allows, the supports offered, and where they may add theirs."""
    meeting = _meeting(meeting_id)
    if meeting.forum.internal or not policy.may_join_meeting(user, meeting):
        raise NotFound()
    slots = list(
        Slot.objects.filter(meeting=meeting)
        .select_related("presentation__case__owning_unit__agency__municipality", "presentation")
        .order_by("number")
    )
    presentations = {s.presentation_id: s.presentation for s in slots if s.presentation}
    agenda = [_slot_label(user, slot, presentations) for slot in slots]
    views = []
    for slot in slots:
        if slot.presentation is None:
            continue
        view = _presentation_view(user, slot, slot.presentation)
        if view.visible:
            _record_presentation_read(user, view, f"meeting:{meeting.id}")
        views.append(view)
    return ConsultationRoom(
        meeting=meeting,
        forum=meeting.forum,
        agenda=agenda,
        presentations=views,
        my_units=list(policy.forum_units_of(user, meeting.forum)),
        anonymised_present=any(v.anonymised for v in views),
    )


def presentation_get(*, user: Any, presentation_id: uuid.UUID | str) -> Presentation:
    """A presentation the person may see in its meeting; otherwise NotFound."""
    try:
        presentation = Presentation.objects.select_related(
            "meeting__forum", "case__owning_unit__agency"
        ).get(pk=presentation_id)
    except (Presentation.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    decision = policy.presentation_decision(
        user, presentation, services.presentation_disclosed_fields(presentation)
    )
    if not decision.allowed:
        raise NotFound()
    return presentation


# ---------------------------------------------------------------------------------------
# Återkoppling


@dataclass(frozen=True)
class FeedbackView:
    feedback: Feedback
    presentation: Presentation
    told: str
    wishes: str
    supports: list[SupportView]
    readable: bool


def feedback_get(*, user: Any, presentation_id: uuid.UUID | str) -> FeedbackView:
    feedback = (
        Feedback.objects.select_related(
            "case__owning_unit__agency", "presentation__meeting__forum", "officer"
        )
        .filter(presentation_id=presentation_id)
        .first()
        if _is_uuid(presentation_id)
        else None
    )
    if feedback is None or not policy.may_follow_feedback(user, feedback):
        raise NotFound()
    case = feedback.case
    key = _key(case)
    view = FeedbackView(
        feedback=feedback,
        presentation=feedback.presentation,
        told=_open(case, key, f"feedback:{feedback.id}:told", feedback.told_ciphertext),
        wishes=_open(case, key, f"feedback:{feedback.id}:wishes", feedback.wishes_ciphertext),
        supports=_supports(feedback.presentation, key),
        readable=key is not None,
    )
    record_atomic(
        actor=user,
        action="feedback.viewed",
        case=case,
        legal_basis=policy.Basis.OWNING_UNIT,
        fields=["support"],
        detail={"feedback": str(feedback.id)},
    )
    return view


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def open_feedback(*, user: Any) -> list[Feedback]:
    """The person's återkoppling still to do (references and dates only)."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = (
        Feedback.objects.filter(officer=user, status=FeedbackStatus.OPEN)
        .select_related("case", "presentation__meeting__forum")
        .order_by("presentation__meeting__starts_at")
    )
    return [f for f in rows if policy.may_follow_feedback(user, f) and f.case.erased_at is None]


# ---------------------------------------------------------------------------------------
# Referrals


@dataclass(frozen=True)
class ReferralView:
    referral: Referral
    side: str  # "sender" or "receiver"
    decision: policy.Decision
    text: str
    decline_note: str
    identity: dict[str, Any]
    incidents: list[IncidentLine]
    risks: list[RiskAssessment]
    basis_holds: bool

    @property
    def may_answer(self) -> bool:
        return self.side == "receiver" and self.basis_holds

    @property
    def category_labels(self) -> list[str]:
        return [
            str(InformationCategory(c).label)
            for c in self.referral.categories
            if c in InformationCategory.values
        ]


def _referral(referral_id: uuid.UUID | str) -> Referral:
    try:
        return Referral.objects.select_related(
            "case__owning_unit__agency",
            "from_unit__agency",
            "to_agency",
            "to_unit",
            "basis",
            "disclosure__consent",
            "sent_by",
            "answered_by",
        ).get(pk=referral_id)
    except (Referral.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def referral_object(*, user: Any, referral_id: uuid.UUID | str) -> Referral:
    referral = _referral(referral_id)
    if not policy.referral_side(user, referral):
        raise NotFound()
    return referral


def referral_get(*, user: Any, referral_id: uuid.UUID | str) -> ReferralView:
    """The referral as its sender or receiver may see it; the read is recorded."""
    referral = referral_object(user=user, referral_id=referral_id)
    side = policy.referral_side(user, referral)
    case = referral.case
    holds = policy.disclosure_still_holds(referral.disclosure)
    if side == "sender":
        decision = policy.case_access(user, case)
    else:
        decision = policy.referral_case_access(user, referral)
    key = _key(case) if decision.allowed else None
    identity: dict[str, Any] = {}
    incidents: list[IncidentLine] = []
    risks: list[RiskAssessment] = []
    shown = frozenset(referral.disclosure.fields) & decision.fields
    if key is not None:
        for row in case.identity_fields.filter(name__in=shown & policy.IDENTITY_FIELDS):
            identity[row.name] = vault.decrypt_value(key, str(case.id), row.name, row.ciphertext)
        if "situation" in shown:
            incidents = [
                IncidentLine(
                    kind_display=str(i.get_kind_display()),
                    occurred_at=i.occurred_at,
                    description=_open(case, key, f"incident:{i.id}", i.description_ciphertext),
                )
                for i in Incident.objects.filter(case=case)
            ]
        if "risk" in shown:
            risks = list(RiskAssessment.objects.filter(case=case))
    view = ReferralView(
        referral=referral,
        side=side,
        decision=decision,
        text=_open(case, key, f"referral:{referral.id}:text", referral.text_ciphertext),
        decline_note=_open(
            case, key, f"referral:{referral.id}:decline", referral.decline_note_ciphertext
        ),
        identity=identity,
        incidents=incidents,
        risks=risks,
        basis_holds=holds,
    )
    read = set(identity)
    if incidents:
        read.add("situation")
    if risks:
        read.add("risk")
    record_atomic(
        actor=user,
        action="referral.viewed",
        case=case,
        legal_basis=decision.basis or referral.disclosure.basis_code,
        fields=read,
        detail={
            "referral": str(referral.id),
            "side": side,
            "level": str(decision.level),
            "flagged": decision.flagged,
        },
    )
    return view


def _receiving_units(user: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(
        Q(memberships__user=user, memberships__role__in=[Role.CASE_OFFICER, Role.SECTION_LEAD])
        | Q(lead=user)
        | Q(deputies=user)
    ).distinct()


def referrals_incoming(*, user: Any) -> list[Referral]:
    """Referrals to the person's units that wait for an answer or an outcome."""
    if not getattr(user, "is_authenticated", False):
        return []
    units = _receiving_units(user)
    rows = (
        Referral.objects.filter(
            Q(to_unit__in=units) | Q(to_unit__isnull=True, to_agency__units__in=units)
        )
        .filter(status__in=[ReferralStatus.SENT, ReferralStatus.ACCEPTED])
        .select_related("case", "from_unit__agency", "to_unit", "to_agency", "disclosure")
        .distinct()
        .order_by("sent_at")
    )
    return [r for r in rows if policy.receives_referral(user, r)]


def referrals_sent(*, user: Any, case: Case | None = None, limit: int = 20) -> list[Referral]:
    """Referrals of the cases the person works on, newest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    cases = policy.visible_cases(user) if case is None else Case.objects.filter(pk=case.pk)
    rows = (
        Referral.objects.filter(case__in=cases)
        .select_related("case", "to_unit", "to_agency", "from_unit")
        .order_by("-sent_at")[:limit]
    )
    return [r for r in rows if policy.works_on_case(user, r.case)]


@dataclass(frozen=True)
class ReferralOptions:
    case: Case
    units: list[Unit]
    suggested: list[Unit]
    bases: list[LegalBasis]
    categories: list[tuple[str, str]]
    presentation: Presentation | None


def referral_options(
    *, user: Any, case: Case, presentation_id: uuid.UUID | str | None = None
) -> ReferralOptions:
    """What the referral form offers: units of other agencies (those that offered support
    in a consultation of the case first), the active bases, the categories."""
    if not policy.works_on_case(user, case):
        raise NotFound()
    presentation = None
    if presentation_id and _is_uuid(presentation_id):
        presentation = Presentation.objects.filter(pk=presentation_id, case=case).first()
    supports = Support.objects.filter(presentation__case=case)
    if presentation is not None:
        supports = supports.filter(presentation=presentation)
    suggested = list(
        Unit.objects.filter(pk__in=supports.values("unit_id"))
        .exclude(pk=case.owning_unit_id)
        .select_related("agency")
        .order_by("agency__name", "name")
    )
    units = list(
        Unit.objects.exclude(pk=case.owning_unit_id)
        .select_related("agency")
        .order_by("agency__name", "name")
    )
    return ReferralOptions(
        case=case,
        units=units,
        suggested=suggested,
        bases=list(LegalBasis.objects.filter(active=True).order_by("title")),
        categories=[(c.value, str(c.label)) for c in InformationCategory],
        presentation=presentation,
    )


# ---------------------------------------------------------------------------------------
# Concern reports


@dataclass(frozen=True)
class ConcernView:
    report: ConcernReport
    side: str  # "receiver" or "reporter"
    content: dict[str, Any]
    readable: bool

    @property
    def case(self) -> Case | None:
        # The reporter never learns of the social services' case.
        return self.report.case if self.side == "receiver" else None


def concern_object(*, user: Any, report_id: uuid.UUID | str) -> ConcernReport:
    try:
        report = ConcernReport.objects.select_related(
            "reporter",
            "reporter_unit__agency",
            "receiving_unit__agency",
            "municipality",
            "basis",
            "acknowledged_by",
        ).get(pk=report_id)
    except (ConcernReport.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if not policy.concern_report_side(user, report):
        raise NotFound()
    return report


def concern_get(*, user: Any, report_id: uuid.UUID | str) -> ConcernView:
    """The report as its reporter or its receiving unit may see it; the read is recorded."""
    report = concern_object(user=user, report_id=report_id)
    side = policy.concern_report_side(user, report)
    try:
        content = services.concern_content(report)
        readable = True
    except vault.VaultError:
        content, readable = {}, False
    record_atomic(
        actor=user,
        action="concern.viewed",
        case=report.case if side == "receiver" else None,
        legal_basis=report.basis.code,
        fields=["name", "situation"] if readable else [],
        detail={"report": str(report.id), "side": side},
    )
    return ConcernView(report=report, side=side, content=content, readable=readable)


def concerns_incoming(*, user: Any) -> list[ConcernReport]:
    """Reports to units the person handles that still wait for receipt or outcome."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = (
        ConcernReport.objects.filter(receiving_unit__in=_receiving_units(user))
        .exclude(status=ConcernStatus.DECIDED)
        .select_related("reporter_unit__agency", "receiving_unit", "municipality")
        .order_by("submitted_at")
    )
    return [r for r in rows if policy.concern_report_side(user, r) == "receiver"]


def concerns_mine(*, user: Any, limit: int = 20) -> list[ConcernReport]:
    """The person's own reports with their receipt and outcome (never the case)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        ConcernReport.objects.filter(reporter=user)
        .select_related("receiving_unit__agency", "municipality")
        .order_by("-submitted_at")[:limit]
    )


@dataclass(frozen=True)
class ConcernOptions:
    units: list[Unit]
    municipalities: list[Municipality]


def concern_options(*, user: Any) -> ConcernOptions:
    """Where the person may report from, and which municipalities receive reports here."""
    basis = LegalBasis.objects.filter(code=services.CONCERN_BASIS, active=True).first()
    if basis is None:
        return ConcernOptions(units=[], municipalities=[])
    return ConcernOptions(
        units=list(policy.concern_reporting_units(user, basis)),
        municipalities=list(
            Municipality.objects.filter(
                pk__in=ConcernIntake.objects.values("municipality_id")
            ).order_by("name")
        ),
    )


def may_report_concern(*, user: Any) -> bool:
    return bool(concern_options(user=user).units)


# ---------------------------------------------------------------------------------------
# The start page and the case page


@dataclass(frozen=True)
class StartConsultation:
    feedback: list[Feedback]
    referrals_in: list[Referral]
    referrals_out: list[Referral]
    concerns_in: list[ConcernReport]
    concerns_mine: list[ConcernReport]
    forums: list[ForumSummary]
    may_report: bool


def start_consultation(*, user: Any) -> StartConsultation:
    return StartConsultation(
        feedback=open_feedback(user=user),
        referrals_in=referrals_incoming(user=user),
        referrals_out=[
            r
            for r in referrals_sent(user=user)
            if r.status in (ReferralStatus.SENT, ReferralStatus.ACCEPTED)
            or (r.answered_at or r.sent_at) >= timezone.now() - dt.timedelta(days=14)
        ],
        concerns_in=concerns_incoming(user=user),
        concerns_mine=concerns_mine(user=user),
        forums=forums_visible(user=user),
        may_report=may_report_concern(user=user),
    )


@dataclass(frozen=True)
class CaseConsultation:
    case: Case
    presentations: list[Presentation]
    referrals: list[Referral]
    forums: list[Forum]


def case_consultation(*, user: Any, case: Case) -> CaseConsultation | None:
    """The case page's panel, for the people who work on the case."""
    if not policy.works_on_case(user, case):
        return None
    forums = [
        f for f in Forum.objects.filter(internal=False) if policy.may_book_slot(user, f, case)
    ]
    return CaseConsultation(
        case=case,
        presentations=list(
            Presentation.objects.filter(case=case)
            .exclude(mode=PresentationMode.INTERNAL)
            .select_related("meeting__forum", "feedback")
            .order_by("-meeting__starts_at")
        ),
        referrals=referrals_sent(user=user, case=case, limit=50),
        forums=forums,
    )
