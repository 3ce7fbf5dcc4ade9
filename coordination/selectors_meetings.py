"""Reads for the styrgrupp: calls, answers, the meeting room, minutes, follow-up, figures.

Whatever shows case content (the brief, decisions, minutes) asks the disclosure policy
and records the access; lists of calls and meetings show pseudonymous references only.
"""

from __future__ import annotations

import datetime as dt
import statistics
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record_atomic
from consent import policy
from coordination import vault
from coordination.errors import NotFound
from coordination.models import (
    Action,
    ActionStatus,
    Case,
    Incident,
    Invitation,
    InvitationAnswer,
    Meeting,
    MeetingStatus,
    Minutes,
    RiskAssessment,
    Routine,
    Unit,
)
from coordination.services import meetings as meeting_services
from coordination.vault import CaseErased


def _meeting(meeting_id: uuid.UUID | str) -> Meeting:
    try:
        return Meeting.objects.select_related(
            "forum",
            "routine",
            "case__owning_unit__agency__municipality",
            "incident",
            "convened_by",
        ).get(pk=meeting_id)
    except (Meeting.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def meeting_get(*, user: Any, meeting_id: uuid.UUID | str) -> Meeting:
    """The meeting if the person takes part in it (or runs it); otherwise NotFound."""
    meeting = _meeting(meeting_id)
    if policy.may_join_meeting(user, meeting) or policy.may_manage_meeting(user, meeting):
        return meeting
    raise NotFound()


# ---------------------------------------------------------------------------------------
# Answers per section


ANSWERED = "accepted"
DECLINED = "declined"
WAITING = "pending"


@dataclass(frozen=True)
class SectionAnswers:
    """Everyone called for one section, in the order they were called."""

    unit: Unit
    invitations: list[Invitation]

    @property
    def status(self) -> str:
        answers = {i.answer for i in self.invitations}
        if InvitationAnswer.ACCEPTED in answers:
            return ANSWERED
        if InvitationAnswer.PENDING in answers:
            return WAITING
        return DECLINED

    @property
    def status_display(self) -> str:
        return {
            ANSWERED: _("Kommer"),
            WAITING: _("Väntar på svar"),
            DECLINED: _("Ingen kommer"),
        }[self.status]


def meeting_sections(meeting: Meeting) -> list[SectionAnswers]:
    invitations = list(
        Invitation.objects.filter(meeting=meeting, unit__isnull=False)
        .select_related("person", "unit", "delegated_to")
        .order_by("created_at")
    )
    by_unit: dict[Any, list[Invitation]] = {}
    units: dict[Any, Unit] = {}
    for invitation in invitations:
        assert invitation.unit is not None
        units[invitation.unit_id] = invitation.unit
        by_unit.setdefault(invitation.unit_id, []).append(invitation)
    return [
        SectionAnswers(unit=units[unit_id], invitations=by_unit[unit_id])
        for unit_id in sorted(units, key=lambda pk: units[pk].name)
    ]


@dataclass(frozen=True)
class CallView:
    """A called person's page: their own call, whom they may delegate to, and the others."""

    meeting: Meeting
    invitation: Invitation
    delegates: list[Any]
    sections: list[SectionAnswers]
    routine: Routine | None

    @property
    def may_enter(self) -> bool:
        return self.invitation.answer in (InvitationAnswer.ACCEPTED, InvitationAnswer.PENDING)


def meeting_call(*, user: Any, meeting_id: uuid.UUID | str) -> CallView:
    meeting = _meeting(meeting_id)
    invitation = (
        Invitation.objects.filter(meeting=meeting, person=user)
        .select_related("unit", "delegated_to", "person")
        .first()
    )
    if invitation is None or not getattr(user, "is_active", False):
        raise NotFound()
    return CallView(
        meeting=meeting,
        invitation=invitation,
        delegates=meeting_services.delegates_for(invitation)
        if invitation.answer == InvitationAnswer.PENDING
        else [],
        sections=meeting_sections(meeting),
        routine=meeting.routine,
    )


@dataclass(frozen=True)
class AnswersView:
    meeting: Meeting
    sections: list[SectionAnswers]
    can_manage: bool


def meeting_answers(*, user: Any, meeting_id: uuid.UUID | str) -> AnswersView:
    """Who accepted, declined, delegated, and where calls were escalated."""
    meeting = meeting_get(user=user, meeting_id=meeting_id)
    return AnswersView(
        meeting=meeting,
        sections=meeting_sections(meeting),
        can_manage=policy.may_manage_meeting(user, meeting),
    )


# ---------------------------------------------------------------------------------------
# The meeting room


@dataclass(frozen=True)
class IncidentLine:
    kind_display: str
    occurred_at: dt.datetime
    registered_at: dt.datetime
    description: str


@dataclass(frozen=True)
class Brief:
    """The case as this participant may see it in this meeting, decided by the policy."""

    reference: str
    decision: policy.Decision
    identity: dict[str, Any] = field(default_factory=dict)
    incidents: list[IncidentLine] = field(default_factory=list)
    risks: list[RiskAssessment] = field(default_factory=list)
    erased: bool = False


@dataclass(frozen=True)
class ActionView:
    action: Action
    text: str
    readable: bool

    @property
    def overdue(self) -> bool:
        return (
            self.action.status == ActionStatus.OPEN and self.action.due_date < timezone.localdate()
        )


@dataclass(frozen=True)
class MeetingRoom:
    meeting: Meeting
    routine: Routine | None
    brief: Brief | None
    sections: list[SectionAnswers]
    actions: list[ActionView]
    units: list[Unit]
    owners: dict[str, list[Any]]
    can_manage: bool
    can_record: bool
    my_invitation: Invitation | None

    @property
    def checklist(self) -> list[dict[str, str]]:
        return list(self.routine.checklist) if self.routine else []


def _brief(user: Any, meeting: Meeting) -> Brief | None:
    case = meeting.case
    if case is None:
        return None
    decision = policy.case_access(user, case, policy.Context.PRESENTATION, meeting=meeting)
    if not decision.allowed:
        return None
    erased = case.erased_at is not None
    identity: dict[str, Any] = {}
    incidents: list[IncidentLine] = []
    risks: list[RiskAssessment] = []
    if not erased:
        data_key = vault.case_data_key(case)
        wanted = decision.fields & policy.IDENTITY_FIELDS
        for row in case.identity_fields.filter(name__in=wanted):
            identity[row.name] = vault.decrypt_value(
                data_key, str(case.id), row.name, row.ciphertext
            )
        if "situation" in decision.fields:
            for incident in Incident.objects.filter(case=case):
                description = ""
                if incident.description_ciphertext:
                    description = vault.decrypt_value(
                        data_key,
                        str(case.id),
                        f"incident:{incident.id}",
                        incident.description_ciphertext,
                    )
                incidents.append(
                    IncidentLine(
                        kind_display=str(incident.get_kind_display()),
                        occurred_at=incident.occurred_at,
                        registered_at=incident.created_at,
                        description=description,
                    )
                )
        if "risk" in decision.fields:
            risks = list(RiskAssessment.objects.filter(case=case))
    shown = set(identity)
    if incidents:
        shown.add("situation")
    if risks:
        shown.add("risk")
    record_atomic(
        actor=user,
        action="case.viewed",
        case=case,
        legal_basis=decision.basis,
        fields=shown,
        detail={
            "context": str(policy.Context.PRESENTATION),
            "meeting": str(meeting.id),
            "level": str(decision.level),
            "flagged": decision.flagged,
        },
    )
    return Brief(
        reference=case.reference,
        decision=decision,
        identity=identity,
        incidents=incidents,
        risks=risks,
        erased=erased,
    )


def _action_views(actions: Iterable[Action]) -> list[ActionView]:
    views = []
    keys: dict[Any, bytes | None] = {}
    for action in actions:
        case = action.case
        if case.pk not in keys:
            try:
                keys[case.pk] = vault.case_data_key(case) if case.erased_at is None else None
            except CaseErased:
                keys[case.pk] = None
        key = keys[case.pk]
        if key is None:
            views.append(ActionView(action=action, text="", readable=False))
            continue
        text = vault.decrypt_value(key, str(case.id), f"action:{action.id}", action.text_ciphertext)
        views.append(ActionView(action=action, text=str(text), readable=True))
    return views


def _record_action_read(user: Any, views: list[ActionView], *, where: str) -> None:
    """One audit entry per case whose decisions were shown."""
    by_case: dict[Any, list[ActionView]] = {}
    for view in views:
        if view.readable:
            by_case.setdefault(view.action.case_id, []).append(view)
    for items in by_case.values():
        case = items[0].action.case
        record_atomic(
            actor=user,
            action="action.viewed",
            case=case,
            fields=["support"],
            detail={"where": where, "actions": sorted(str(v.action.id) for v in items)},
        )


def _meeting_actions(meeting: Meeting) -> QuerySet[Action]:
    return (
        Action.objects.filter(meeting=meeting)
        .select_related("owner_unit", "owner_person", "created_by", "done_by", "case")
        .order_by("created_at")
    )


def meeting_room(*, user: Any, meeting_id: uuid.UUID | str) -> MeetingRoom:
    meeting = meeting_get(user=user, meeting_id=meeting_id)
    brief = _brief(user, meeting)
    actions = _action_views(_meeting_actions(meeting))
    _record_action_read(user, actions, where=f"meeting:{meeting.id}")
    units = meeting_services.meeting_units(meeting)
    return MeetingRoom(
        meeting=meeting,
        routine=meeting.routine,
        brief=brief,
        sections=meeting_sections(meeting),
        actions=actions,
        units=units,
        owners={str(u.id): meeting_services.action_owners(u) for u in units},
        can_manage=policy.may_manage_meeting(user, meeting),
        can_record=policy.may_record_action(user, meeting),
        my_invitation=Invitation.objects.filter(meeting=meeting, person=user).first(),
    )


def _answer_json(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": str(invitation.id),
        "person": meeting_services.name_of(invitation.person),
        "answer": invitation.answer,
        "answer_display": str(invitation.get_answer_display()),
        "origin": invitation.origin,
        "origin_display": str(invitation.get_origin_display()),
        "reason": invitation.reason,
        "delegated_to": meeting_services.name_of(invitation.delegated_to),
        "answered_at": invitation.answered_at.isoformat() if invitation.answered_at else "",
        "escalated": invitation.escalated_at is not None,
    }


def meeting_state(
    *, user: Any, meeting_id: uuid.UUID | str, with_actions: bool = True
) -> dict[str, Any]:
    """The meeting's live parts as JSON, for a page that (re)connects or hears a change."""
    meeting = meeting_get(user=user, meeting_id=meeting_id)
    state: dict[str, Any] = {
        "meeting": str(meeting.id),
        "status": meeting.status,
        "status_display": str(meeting.get_status_display()),
        "sections": [
            {
                "unit_id": str(section.unit.id),
                "unit": section.unit.name,
                "status": section.status,
                "status_display": section.status_display,
                "invitations": [_answer_json(i) for i in section.invitations],
            }
            for section in meeting_sections(meeting)
        ],
    }
    if with_actions:
        views = _action_views(_meeting_actions(meeting))
        _record_action_read(user, views, where=f"meeting:{meeting.id}")
        state["actions"] = [
            {
                "id": str(v.action.id),
                "owner_unit": v.action.owner_unit.name,
                "owner_person": meeting_services.name_of(v.action.owner_person),
                "text": v.text,
                "readable": v.readable,
                "due_date": v.action.due_date.isoformat(),
                "status": v.action.status,
                "status_display": str(v.action.get_status_display()),
                "overdue": v.overdue,
            }
            for v in views
        ]
    return state


# ---------------------------------------------------------------------------------------
# Minutes


@dataclass(frozen=True)
class MinutesView:
    meeting: Meeting
    minutes: Minutes
    content: dict[str, Any] | None  # None once the case is erased
    intact: bool  # the stored content still hashes to the recorded SHA-256


def minutes_get(*, user: Any, meeting_id: uuid.UUID | str) -> MinutesView:
    meeting = meeting_get(user=user, meeting_id=meeting_id)
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if minutes is None:
        raise NotFound()
    case = meeting.case
    assert case is not None
    content: dict[str, Any] | None = None
    intact = False
    if case.erased_at is None:
        content = vault.decrypt_value(
            vault.case_data_key(case),
            str(case.id),
            f"minutes:{meeting.id}",
            minutes.content_ciphertext,
        )
        assert isinstance(content, dict)
        intact = meeting_services.minutes_sha256(content) == minutes.sha256
    record_atomic(
        actor=user,
        action="minutes.viewed",
        case=case,
        legal_basis=content.get("legal_basis", "") if content else "",
        fields=["support"] if content else [],
        detail={"meeting": str(meeting.id), "minutes_sha256": minutes.sha256},
    )
    return MinutesView(meeting=meeting, minutes=minutes, content=content, intact=intact)


# ---------------------------------------------------------------------------------------
# The start page and the header


def calls_waiting(*, user: Any) -> list[Invitation]:
    """Calls this person has not answered, in meetings not yet closed."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Invitation.objects.filter(person=user, answer=InvitationAnswer.PENDING)
        .exclude(meeting__status=MeetingStatus.CLOSED)
        .select_related("meeting__forum", "meeting__case", "meeting__convened_by", "unit")
        .order_by("meeting__starts_at")
    )


def inbox_count(*, user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return (
        Invitation.objects.filter(person=user, answer=InvitationAnswer.PENDING)
        .exclude(meeting__status=MeetingStatus.CLOSED)
        .count()
    )


def meetings_today(*, user: Any) -> list[Meeting]:
    """Today's meetings this person convened or is called to (and has not passed on)."""
    if not getattr(user, "is_authenticated", False):
        return []
    today = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    end = start + dt.timedelta(days=1)
    called = Invitation.objects.filter(person=user).exclude(
        answer__in=[InvitationAnswer.DECLINED, InvitationAnswer.DELEGATED]
    )
    return list(
        Meeting.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .filter(Q(convened_by=user) | Q(pk__in=called.values("meeting_id")))
        .select_related("forum", "case")
        .distinct()
        .order_by("starts_at")
    )


def open_actions(*, user: Any) -> list[ActionView]:
    """Actions this person owns (or whose section they lead) that are not done yet."""
    if not getattr(user, "is_authenticated", False):
        return []
    led = Unit.objects.filter(Q(lead=user) | Q(deputies=user)).values("pk")
    actions = [
        action
        for action in Action.objects.filter(status=ActionStatus.OPEN)
        .filter(Q(owner_person=user) | Q(owner_person__isnull=True, owner_unit__in=led))
        .select_related("owner_unit", "owner_person", "case", "meeting__forum")
        .order_by("due_date", "created_at")
        if policy.may_follow_action(user, action)
    ]
    views = _action_views(actions)
    _record_action_read(user, views, where="start")
    return views


def action_get(*, user: Any, action_id: uuid.UUID | str) -> Action:
    try:
        action = Action.objects.select_related("owner_unit", "case", "meeting").get(pk=action_id)
    except (Action.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if not policy.may_follow_action(user, action):
        raise NotFound()
    return action


# ---------------------------------------------------------------------------------------
# The case page


@dataclass(frozen=True)
class CaseStyrgrupp:
    routine: Routine | None
    meetings: list[Meeting]
    may_convene: bool
    suggested_incident: Incident | None


def case_styrgrupp(*, user: Any, case: Case) -> CaseStyrgrupp:
    """The routine that applies to the case, its meetings, and whether to offer a call."""
    if not policy.works_on_case(user, case):
        raise NotFound()
    routine = meeting_services.routine_for_case(case)
    meetings = list(
        Meeting.objects.filter(case=case).select_related("forum").order_by("-starts_at")[:10]
    )
    suggested = None
    if routine is not None:
        suggested = (
            Incident.objects.filter(case=case, kind__in=routine.trigger_kinds or [])
            .exclude(meetings__isnull=False)
            .order_by("-created_at")
            .first()
        )
    return CaseStyrgrupp(
        routine=routine,
        meetings=meetings,
        may_convene=routine is not None and policy.may_convene(user, case),
        suggested_incident=suggested,
    )


# ---------------------------------------------------------------------------------------
# Measurements for the coordinator


@dataclass(frozen=True)
class MeetingMeasure:
    meeting: Meeting
    incident_at: dt.datetime | None
    convened_at: dt.datetime
    first_accepted_at: dt.datetime | None
    opened_at: dt.datetime | None

    def _since_incident(self, at: dt.datetime | None) -> dt.timedelta | None:
        if self.incident_at is None or at is None:
            return None
        return at - self.incident_at

    @property
    def to_convened(self) -> dt.timedelta | None:
        return self._since_incident(self.convened_at)

    @property
    def to_first_acceptance(self) -> dt.timedelta | None:
        return self._since_incident(self.first_accepted_at)

    @property
    def to_opened(self) -> dt.timedelta | None:
        return self._since_incident(self.opened_at)

    @property
    def same_day(self) -> bool | None:
        if self.incident_at is None:
            return None
        return timezone.localdate(self.convened_at) == timezone.localdate(self.incident_at)


@dataclass(frozen=True)
class Measurements:
    rows: list[MeetingMeasure]

    def _median(self, values: Iterable[dt.timedelta | None]) -> dt.timedelta | None:
        known = [v.total_seconds() for v in values if v is not None]
        if not known:
            return None
        return dt.timedelta(seconds=round(statistics.median(known)))

    @property
    def with_incident(self) -> list[MeetingMeasure]:
        return [row for row in self.rows if row.incident_at is not None]

    @property
    def same_day_count(self) -> int:
        return sum(1 for row in self.with_incident if row.same_day)

    @property
    def same_day_share(self) -> float | None:
        measured = self.with_incident
        if not measured:
            return None
        return self.same_day_count / len(measured)

    @property
    def median_to_convened(self) -> dt.timedelta | None:
        return self._median(r.to_convened for r in self.rows)

    @property
    def median_to_first_acceptance(self) -> dt.timedelta | None:
        return self._median(r.to_first_acceptance for r in self.rows)

    @property
    def median_to_opened(self) -> dt.timedelta | None:
        return self._median(r.to_opened for r in self.rows)


def measure(meeting: Meeting) -> MeetingMeasure:
    accepted = [
        i.answered_at
        for i in meeting.invitations.all()
        if i.answer == InvitationAnswer.ACCEPTED
        and i.answered_at is not None
        and i.person_id != meeting.convened_by_id
    ]
    return MeetingMeasure(
        meeting=meeting,
        # The incident counts from when social services registered it: that is when the
        # routine can start, and what "the same day" is measured against.
        incident_at=meeting.incident.created_at if meeting.incident else None,
        convened_at=meeting.created_at,
        first_accepted_at=min(accepted) if accepted else None,
        opened_at=meeting.opened_at,
    )


def meeting_measurements(*, user: Any) -> Measurements:
    """Every ad hoc meeting in the municipalities this person follows up as coordinator."""
    municipalities = policy.followed_up_municipalities(user)
    if not municipalities.exists():
        raise NotFound()
    meetings = (
        Meeting.objects.filter(ad_hoc=True, forum__municipality__in=municipalities)
        .select_related("forum", "case", "incident")
        .prefetch_related("invitations")
        .order_by("-created_at")
    )
    return Measurements(rows=[measure(m) for m in meetings])


# ---------------------------------------------------------------------------------------
# Routines, for the coordinators who keep them


def routines_for(*, user: Any) -> list[Routine]:
    """The routines of the municipalities this person follows up."""
    return list(
        Routine.objects.filter(municipality__in=policy.followed_up_municipalities(user))
        .select_related("forum", "municipality", "on_call_unit", "on_call_person")
        .order_by("municipality__name", "name")
    )


def routine_get(*, user: Any, routine_id: uuid.UUID | str) -> Routine:
    try:
        routine = Routine.objects.select_related(
            "forum", "municipality", "on_call_unit", "on_call_person"
        ).get(pk=routine_id)
    except (Routine.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if not policy.may_configure_routine(user, routine.municipality):
        raise NotFound()
    return routine
