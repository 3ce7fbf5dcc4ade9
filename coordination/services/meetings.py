"""The same-day styrgrupp (DESIGN.md §2.1): routines, calling, answers, escalation, the
meeting itself, its actions and its frozen minutes.

Every function here is one audited change. Free text people write (decisions, minutes)
may name the client, so it is encrypted with the case key and never put into the audit
trail, events to inboxes, or e-mail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from consent import policy
from consent import services as consent_services
from consent.models import DisclosureContext, categories_of
from coordination import invitation_mail, vault
from coordination.errors import CaseErasedError, Conflict, Forbidden, Invalid, NotFound
from coordination.models import (
    Action,
    ActionStatus,
    Case,
    Forum,
    ForumKind,
    Incident,
    IncidentKind,
    Invitation,
    InvitationAnswer,
    InvitationOrigin,
    Meeting,
    MeetingStatus,
    Minutes,
    Municipality,
    Role,
    Routine,
    Unit,
)
from realtime import events, rooms
from realtime.publish import publish_on_commit

# A meeting may be opened this long before its time (people gather a little early).
OPEN_EARLY = dt.timedelta(minutes=15)
# "Now" is a few minutes wide: a form filled in at 14:00 and sent at 14:03 still means now.
NOW_SLACK = dt.timedelta(minutes=5)
MAX_TEXT = 2000
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

name_of = invitation_mail.person_name


def _iso(value: dt.datetime | dt.date | None) -> str:
    return value.isoformat() if value is not None else ""


def _meeting_url(meeting: Meeting, name: str = "meeting") -> str:
    return reverse(f"frontend:{name}", kwargs={"meeting_id": meeting.id})


def _case_reference(meeting: Meeting) -> str:
    return meeting.case.reference if meeting.case is not None else ""


# ---------------------------------------------------------------------------------------
# Forums and routines (set up by administrators and coordinators; the demo uses these too)


def _require_configurer(actor: Any, municipality: Municipality) -> None:
    if actor is not None and not policy.may_configure_routine(actor, municipality):
        raise Forbidden()


@transaction.atomic
def forum_create(
    *,
    actor: Any,
    name: str,
    kind: str,
    municipality: Municipality | None,
    internal: bool,
    member_units: Iterable[Unit] = (),
    default_duration_minutes: int = 60,
    recurrence: str = "",
) -> Forum:
    if municipality is not None:
        _require_configurer(actor, municipality)
    elif actor is not None and not policy.may_administer(actor):
        raise Forbidden()
    if kind not in ForumKind.values:
        raise Invalid(_("Okänt slag av forum."), detail={"field": "kind"})
    forum = Forum(
        name=name,
        kind=kind,
        municipality=municipality,
        internal=internal,
        default_duration_minutes=default_duration_minutes,
        recurrence=recurrence,
    )
    forum.full_clean()
    forum.save(force_insert=True)
    units = list(member_units)
    if internal and len({u.agency_id for u in units}) > 1:
        raise Invalid(_("Ett internt forum kan bara ha enheter från en myndighet."))
    forum.member_units.set(units)
    record(
        actor=actor,
        action="forum.created",
        detail={
            "forum": str(forum.id),
            "name": name,
            "kind": kind,
            "internal": internal,
            "member_units": sorted(u.name for u in units),
        },
    )
    return forum


def clean_office_hours(value: Any) -> dict[str, list[str]]:
    """``{"0": ["08:00", "16:30"], ...}``: ISO weekday (0 = Monday) to local start and end."""
    if not isinstance(value, dict):
        raise Invalid(_("Kontorstiden är inte giltig."), detail={"field": "office_hours"})
    cleaned: dict[str, list[str]] = {}
    for day, span in value.items():
        if str(day) not in {str(d) for d in range(7)}:
            raise Invalid(_("Kontorstiden är inte giltig."), detail={"field": "office_hours"})
        if not (isinstance(span, list | tuple) and len(span) == 2):
            raise Invalid(_("Kontorstiden är inte giltig."), detail={"field": "office_hours"})
        start, end = (str(s) for s in span)
        if not (_TIME.match(start) and _TIME.match(end) and start < end):
            raise Invalid(
                _("Kontorstiden ska anges som start och slut, t.ex. 08:00–16:30."),
                detail={"field": "office_hours"},
            )
        cleaned[str(day)] = [start, end]
    return cleaned


def clean_checklist(items: Iterable[Any]) -> list[dict[str, str]]:
    """Checklist items as ``{"key", "text"}``; plain strings get a key from their position."""
    cleaned: list[dict[str, str]] = []
    keys: set[str] = set()
    for number, item in enumerate(items, start=1):
        if isinstance(item, str):
            item = {"key": f"item-{number}", "text": item}
        if not isinstance(item, dict):
            raise Invalid(_("Checklistan är inte giltig."), detail={"field": "checklist"})
        text = str(item.get("text", "")).strip()
        key = str(item.get("key") or f"item-{number}").strip()
        if not text or len(text) > 500 or key in keys:
            raise Invalid(_("Checklistan är inte giltig."), detail={"field": "checklist"})
        keys.add(key)
        cleaned.append({"key": key, "text": text})
    return cleaned


_ROUTINE_FIELDS = (
    "name",
    "text",
    "checklist",
    "trigger_kinds",
    "escalation_minutes",
    "office_hours",
    "on_call_unit",
    "on_call_person",
    "active",
)


def _clean_routine(routine: Routine) -> None:
    routine.checklist = clean_checklist(routine.checklist or [])
    routine.office_hours = clean_office_hours(routine.office_hours)
    unknown = set(routine.trigger_kinds or []) - set(IncidentKind.values)
    if unknown:
        raise Invalid(_("Okänt slag av händelse."), detail={"field": "trigger_kinds"})
    if not 1 <= int(routine.escalation_minutes) <= 240:
        raise Invalid(_("Ange mellan 1 och 240 minuter."), detail={"field": "escalation_minutes"})
    if routine.forum.municipality_id not in (None, routine.municipality_id):
        raise Invalid(_("Forumet hör till en annan kommun."), detail={"field": "forum"})
    if (
        routine.on_call_person is not None
        and routine.on_call_unit is not None
        and not _belongs_to(routine.on_call_person, routine.on_call_unit)
    ):
        raise Invalid(
            _("Den jourhavande hör inte till jourenheten."), detail={"field": "on_call_person"}
        )
    routine.full_clean()


@transaction.atomic
def routine_create(
    *,
    actor: Any,
    municipality: Municipality,
    forum: Forum,
    name: str,
    text: str,
    checklist: Sequence[Any] = (),
    trigger_kinds: Sequence[str] = (IncidentKind.VIOLENCE, IncidentKind.THREAT),
    escalation_minutes: int = 15,
    office_hours: dict[str, list[str]] | None = None,
    on_call_unit: Unit | None = None,
    on_call_person: Any = None,
) -> Routine:
    _require_configurer(actor, municipality)
    routine = Routine(
        municipality=municipality,
        forum=forum,
        name=name,
        text=text,
        checklist=list(checklist),
        trigger_kinds=list(trigger_kinds),
        escalation_minutes=escalation_minutes,
        on_call_unit=on_call_unit,
        on_call_person=on_call_person,
    )
    if office_hours is not None:
        routine.office_hours = office_hours
    _clean_routine(routine)
    routine.save(force_insert=True)
    record(
        actor=actor,
        action="routine.created",
        detail={"routine": str(routine.id), "name": name, "municipality": municipality.code},
    )
    return routine


@transaction.atomic
def routine_update(*, actor: Any, routine: Routine, **changes: Any) -> Routine:
    """Change a routine's text, checklist, escalation time, office hours or on-call."""
    unknown = set(changes) - set(_ROUTINE_FIELDS)
    if unknown:
        raise Invalid(_("Okända uppgifter."), detail={"fields": sorted(unknown)})
    routine = Routine.objects.select_for_update().get(pk=routine.pk)
    _require_configurer(actor, routine.municipality)
    changed = [name for name, value in changes.items() if getattr(routine, name) != value]
    for name in changed:
        setattr(routine, name, changes[name])
    _clean_routine(routine)
    routine.save(update_fields=[*changed, "updated_at"])
    record(
        actor=actor,
        action="routine.updated",
        detail={"routine": str(routine.id), "fields": sorted(changed)},
    )
    return routine


def in_office_hours(routine: Routine, at: dt.datetime) -> bool:
    local = timezone.localtime(at)
    span = (routine.office_hours or {}).get(str(local.weekday()))
    if not span:
        return False
    return span[0] <= f"{local:%H:%M}" < span[1]


def routine_for_case(case: Case) -> Routine | None:
    """The active styrgrupp routine of the municipality that owns the case."""
    municipality = case.owning_unit.agency.municipality
    if municipality is None:
        return None
    return (
        Routine.objects.filter(
            municipality=municipality, active=True, forum__kind=ForumKind.STEERING_GROUP
        )
        .select_related("forum")
        .order_by("created_at")
        .first()
    )


# ---------------------------------------------------------------------------------------
# Who stands in for a section


def _belongs_to(user: Any, unit: Unit) -> bool:
    return bool(
        unit.lead_id == user.pk
        or unit.deputies.filter(pk=user.pk).exists()
        or unit.memberships.filter(user=user).exists()
    )


def section_leads(unit: Unit) -> list[Any]:
    """The lead first, then deputies and other section leads: who may answer for a unit."""
    user_model = get_user_model()
    people: list[Any] = []
    if unit.lead is not None and unit.lead.is_active:
        people.append(unit.lead)
    others = (
        user_model.objects.filter(
            Q(deputy_for_units=unit)
            | Q(memberships__unit=unit, memberships__role=Role.SECTION_LEAD)
        )
        .filter(is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    people += [p for p in others if p.pk != unit.lead_id]
    return people


def delegates_for(invitation: Invitation) -> list[Any]:
    """Whom an invited person may delegate to: the section's other leads and deputies who
    are not already called to the meeting."""
    if invitation.unit is None:
        return []
    called = set(
        Invitation.objects.filter(meeting_id=invitation.meeting_id).values_list(
            "person_id", flat=True
        )
    )
    return [p for p in section_leads(invitation.unit) if p.pk not in called]


def _invitation(
    meeting: Meeting,
    person: Any,
    unit: Unit | None,
    *,
    origin: str,
    parent: Invitation | None = None,
    answer: str = InvitationAnswer.PENDING,
    check_related: bool = True,
) -> Invitation:
    """A validated, unsaved invitation.

    ``check_related=False`` leaves out the checks that read the database (that the related
    rows exist and that the person is not called twice), for callers that hold those rows
    from this transaction and call each person once; the database's constraints still
    stand behind both.
    """
    invitation = Invitation(
        meeting=meeting, person=person, unit=unit, origin=origin, parent=parent, answer=answer
    )
    if answer != InvitationAnswer.PENDING:
        invitation.answered_at = timezone.now()
    if check_related:
        invitation.full_clean(validate_unique=False)
    else:
        invitation.full_clean(
            exclude=["meeting", "person", "unit", "parent", "delegated_to"],
            validate_unique=False,
        )
    return invitation


def _announce_call(invitation: Invitation, call_url: str) -> None:
    """The call on the person's inbox (stored now, announced after commit)."""
    meeting = invitation.meeting
    unit = invitation.unit
    publish_on_commit(
        rooms.inbox_room(invitation.person_id),
        events.MeetingCalled(
            meeting_id=str(meeting.id),
            invitation_id=str(invitation.id),
            forum=meeting.forum.name,
            case_reference=_case_reference(meeting),
            unit=unit.name if unit else "",
            starts_at=_iso(meeting.starts_at),
            origin=invitation.origin,
            convened_by=name_of(meeting.convened_by),
            url=call_url,
        ),
    )


def _call(
    meeting: Meeting,
    person: Any,
    unit: Unit | None,
    *,
    origin: str,
    parent: Invitation | None = None,
    answer: str = InvitationAnswer.PENDING,
) -> Invitation:
    """Create one invitation; the inbox call and the e-mail leave after commit."""
    invitation = _invitation(meeting, person, unit, origin=origin, parent=parent, answer=answer)
    invitation.save(force_insert=True)
    if answer == InvitationAnswer.PENDING:
        _announce_call(invitation, _meeting_url(meeting, "meeting_call"))
        invitation_id = invitation.pk
        transaction.on_commit(lambda: invitation_mail.send_invitation_mail(invitation_id))
    return invitation


# ---------------------------------------------------------------------------------------
# Convening


def default_assessment(routine: Routine) -> str:
    """The secrecy assessment the convene form offers, for the convener to confirm or edit."""
    return _(
        "%(forum)s är intern inom myndigheten och samma verksamhetsgren. Sektionerna behöver "
        "uppgifterna för att samordna ärendet enligt rutinen %(routine)s. Adressen visas inte."
    ) % {"forum": routine.forum.name, "routine": routine.name}


def shared_categories(case: Case) -> list[str]:
    """What the internal styrgrupp sees: everything but the address; with skyddade
    personuppgifter, nothing that identifies the client."""
    fields = (
        policy.CONTENT_FIELDS
        if case.protected_identity
        else (policy.ALL_FIELDS - policy.ADDRESS_FIELDS)
    )
    return categories_of(fields)


def _record_internal_disclosure(actor: Any, case: Case, meeting: Meeting, note: str) -> None:
    consent_services.disclosure_record(
        actor=actor,
        case=case,
        recipient=meeting.forum,
        basis=policy.Basis.SAME_AUTHORITY,
        categories=shared_categories(case),
        assessment=note,
        context=DisclosureContext.PRESENTATION,
        meeting=meeting,
    )


def _starts_at(value: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if value is None:
        return now
    if timezone.is_naive(value):
        raise Invalid(_("Tiden saknar tidszon."), detail={"field": "starts_at"})
    if timezone.localdate(value) != timezone.localdate(now):
        raise Invalid(
            _("Styrgruppen kallas samma dag: välj en tid i dag, eller nu."),
            detail={"field": "starts_at"},
        )
    if value < now - NOW_SLACK:
        raise Invalid(
            _("Tiden har redan passerat: välj en senare tid i dag, eller nu."),
            detail={"field": "starts_at"},
        )
    return max(value, now)


@transaction.atomic
def meeting_convene(
    *,
    actor: Any,
    case: Case,
    routine: Routine,
    units: Iterable[Unit],
    starts_at: dt.datetime | None = None,
    incident: Incident | None = None,
    assessment: str = "",
) -> Meeting:
    """Call a styrgrupp about ``case`` today (``starts_at=None``: now).

    Each chosen section's lead is called at once (its deputies if it has no lead): an
    inbox notification and an e-mail with a calendar invitation. The case is shown in the
    meeting on the basis "same authority"; the convener's decision to share it, with
    their secrecy assessment, is recorded as a disclosure to the forum.
    """
    if not policy.may_convene(actor, case):
        if case.erased_at is not None and policy.works_on_case(actor, case):
            raise CaseErasedError()
        raise NotFound()
    case = Case.objects.select_for_update().select_related("owning_unit__agency").get(pk=case.pk)
    if case.erased_at is not None:
        raise CaseErasedError()
    routine = Routine.objects.select_related("forum").get(pk=routine.pk)
    if not routine.active or routine.municipality_id != case.owning_unit.agency.municipality_id:
        raise Invalid(_("Rutinen gäller inte för ärendets kommun."), detail={"field": "routine"})
    chosen_ids = list(dict.fromkeys(unit.pk for unit in units))
    if not chosen_ids:
        raise Invalid(_("Välj minst en sektion att kalla."), detail={"field": "units"})
    # The chosen sections that belong to the forum, with their leads, in one query.
    members = {
        unit.pk: unit
        for unit in routine.forum.member_units.filter(pk__in=chosen_ids)
        .select_related("lead")
        .order_by()
    }
    if len(members) != len(chosen_ids):
        raise Invalid(
            _("Sektionen ingår inte i %(forum)s.") % {"forum": routine.forum.name},
            detail={"field": "units"},
        )
    chosen = [members[pk] for pk in chosen_ids]
    if incident is not None and incident.case_id != case.pk:
        raise Invalid(_("Händelsen hör inte till ärendet."), detail={"field": "incident"})
    if (
        incident is not None
        and Meeting.objects.filter(incident=incident).exclude(status=MeetingStatus.CLOSED).exists()
    ):
        raise Conflict(_("En styrgrupp är redan kallad för den här händelsen."))
    now = timezone.now()
    when = _starts_at(starts_at, now)
    called: list[tuple[Unit, list[Any]]] = []
    for unit in chosen:
        # An active lead is the first of section_leads(); the others are looked up only
        # for a section without one.
        lead = unit.lead
        people = [lead] if lead is not None and lead.is_active else section_leads(unit)
        if not people:
            raise Invalid(
                _("Sektionen %(unit)s har ingen chef eller ersättare att kalla.")
                % {"unit": unit.name},
                detail={"field": "units"},
            )
        # The lead is called; deputies only when there is no lead (escalation reaches them).
        called.append((unit, people[:1] if unit.lead_id else people))

    meeting = Meeting(
        forum=routine.forum,
        routine=routine,
        starts_at=when,
        duration_minutes=routine.forum.default_duration_minutes,
        ad_hoc=True,
        status=MeetingStatus.CONVENED,
        convened_by=actor,
        case=case,
        incident=incident,
    )
    # Forum, routine and case were read (the case locked) in this transaction and the actor
    # is the signed-in person: only the incident, which the caller hands in, is looked up.
    meeting.full_clean(exclude=["forum", "routine", "case", "convened_by"], validate_unique=False)
    meeting.save(force_insert=True)
    _record_internal_disclosure(actor, case, meeting, assessment or default_assessment(routine))
    invitations: list[Invitation] = []
    invited: list[str] = []
    seen: set[Any] = set()
    for unit, people in called:
        for person in people:
            if person.pk in seen:
                continue
            seen.add(person.pk)
            own = person.pk == actor.pk
            invitations.append(
                _invitation(
                    meeting,
                    person,
                    unit,
                    origin=InvitationOrigin.CALLED,
                    answer=InvitationAnswer.ACCEPTED if own else InvitationAnswer.PENDING,
                    check_related=False,
                )
            )
            invited.append(person.get_username())
    Invitation.objects.bulk_create(invitations)
    pending = [i for i in invitations if i.answer == InvitationAnswer.PENDING]
    call_url = _meeting_url(meeting, "meeting_call")
    for invitation in pending:
        _announce_call(invitation, call_url)
    # After the inbox announcements, and from the objects in hand: nothing is read again.
    transaction.on_commit(lambda: invitation_mail.send_invitation_mails(pending))
    record(
        actor=actor,
        action="meeting.convened",
        case=case,
        legal_basis=policy.Basis.SAME_AUTHORITY,
        recipients=invited,
        detail={
            "meeting": str(meeting.id),
            "forum": routine.forum.name,
            "routine": routine.name,
            "incident": str(incident.id) if incident else "",
            "starts_at": _iso(when),
            "now": starts_at is None,
            "units": [unit.name for unit, _people in called],
        },
    )
    return meeting


# ---------------------------------------------------------------------------------------
# Answers and escalation


def _answered_event(invitation: Invitation) -> events.InvitationAnswered:
    meeting = invitation.meeting
    return events.InvitationAnswered(
        meeting_id=str(meeting.id),
        invitation_id=str(invitation.id),
        unit_id=str(invitation.unit_id or ""),
        unit=invitation.unit.name if invitation.unit else "",
        person=name_of(invitation.person),
        answer=invitation.answer,
        answer_display=str(invitation.get_answer_display()),
        reason=invitation.reason,
        delegated_to=name_of(invitation.delegated_to),
        answered_at=_iso(invitation.answered_at),
        case_reference=_case_reference(meeting),
    )


def _to_convener_and_room(meeting: Meeting, event: events.Event) -> None:
    publish_on_commit(rooms.meeting_room(meeting.id), event)
    if meeting.convened_by_id is not None:
        publish_on_commit(rooms.inbox_room(meeting.convened_by_id), event)


@transaction.atomic
def invitation_answer(
    *,
    actor: Any,
    invitation: Invitation,
    answer: str,
    reason: str = "",
    delegate_to: Any = None,
) -> Invitation:
    """Accept, decline (with a reason) or delegate to a deputy, who is then called."""
    try:
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("meeting__case", "meeting__forum", "meeting__routine", "unit")
            .get(pk=invitation.pk)
        )
    except Invitation.DoesNotExist as exc:
        raise NotFound() from exc
    if invitation.person_id != getattr(actor, "pk", None) or not actor.is_active:
        raise NotFound()
    meeting = invitation.meeting
    if meeting.status == MeetingStatus.CLOSED:
        raise Conflict(_("Mötet är redan avslutat."))
    if invitation.answer != InvitationAnswer.PENDING:
        raise Conflict(_("Kallelsen är redan besvarad."))
    reason = (reason or "").strip()
    if answer == InvitationAnswer.ACCEPTED:
        reason = ""
    elif answer == InvitationAnswer.DECLINED:
        if not reason:
            raise Invalid(_("Ange varför du inte kan komma."), detail={"field": "reason"})
        if len(reason) > 500:
            raise Invalid(_("Skälet är för långt."), detail={"field": "reason"})
    elif answer == InvitationAnswer.DELEGATED:
        allowed = {p.pk for p in delegates_for(invitation)}
        if delegate_to is None or delegate_to.pk not in allowed:
            raise Invalid(
                _("Välj en ersättare i sektionen som inte redan är kallad."),
                detail={"field": "delegate_to"},
            )
        reason = reason[:500]
    else:
        raise Invalid(_("Okänt svar."), detail={"field": "answer"})

    invitation.answer = answer
    invitation.reason = reason
    invitation.delegated_to = delegate_to if answer == InvitationAnswer.DELEGATED else None
    invitation.answered_at = timezone.now()
    invitation.full_clean(validate_unique=False)
    invitation.save(update_fields=["answer", "reason", "delegated_to", "answered_at"])
    recipients: list[str] = []
    if answer == InvitationAnswer.DELEGATED:
        _call(
            meeting,
            delegate_to,
            invitation.unit,
            origin=InvitationOrigin.DELEGATED,
            parent=invitation,
        )
        recipients.append(delegate_to.get_username())
    record(
        actor=actor,
        action="invitation.answered",
        case=meeting.case,
        unit=invitation.unit,
        recipients=recipients,
        # The reason stays on the invitation: free text never goes into the trail.
        detail={
            "meeting": str(meeting.id),
            "invitation": str(invitation.id),
            "unit": invitation.unit.name if invitation.unit else "",
            "answer": answer,
            "reason_given": bool(reason),
            "delegated_to": delegate_to.get_username()
            if answer == InvitationAnswer.DELEGATED
            else "",
        },
    )
    _to_convener_and_room(meeting, _answered_event(invitation))
    return invitation


def _due_invitations(now: dt.datetime) -> list[Invitation]:
    accepted_in_section = Invitation.objects.filter(
        meeting_id=OuterRef("meeting_id"),
        unit_id=OuterRef("unit_id"),
        answer=InvitationAnswer.ACCEPTED,
    )
    pending = (
        Invitation.objects.filter(
            answer=InvitationAnswer.PENDING,
            escalated_at__isnull=True,
            meeting__status__in=[MeetingStatus.CONVENED, MeetingStatus.OPEN],
            meeting__routine__isnull=False,
            unit__isnull=False,
        )
        .exclude(Exists(accepted_in_section))
        .select_related("meeting__routine")
        .order_by("created_at")
    )
    return [
        invitation
        for invitation in pending
        if invitation.created_at
        + dt.timedelta(minutes=invitation.meeting.routine.escalation_minutes)  # type: ignore[union-attr]
        <= now
    ]


def invitations_escalate(*, actor: Any = None, now: dt.datetime | None = None) -> list[Invitation]:
    """Call further people for every section that has not answered in time.

    In office hours the section's deputies (and lead) who are not yet called; outside
    them the routine's on-call person (socialjour). Each escalation is its own
    transaction, so one failure does not hold back the others. Returns the new calls.
    """
    if actor is not None and not policy.may_administer(actor):
        raise Forbidden()
    now = now or timezone.now()
    created: list[Invitation] = []
    for invitation in _due_invitations(now):
        created += _invitation_escalate(actor=actor, invitation_id=invitation.pk, now=now)
    return created


@transaction.atomic
def _invitation_escalate(*, actor: Any, invitation_id: Any, now: dt.datetime) -> list[Invitation]:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related(
            "meeting__routine__on_call_person", "meeting__case", "meeting__forum", "unit"
        )
        .get(pk=invitation_id)
    )
    meeting = invitation.meeting
    routine = meeting.routine
    if (
        routine is None
        or invitation.unit is None
        or invitation.answer != InvitationAnswer.PENDING
        or invitation.escalated_at is not None
        or meeting.status == MeetingStatus.CLOSED
    ):
        return []
    unit = invitation.unit
    office = in_office_hours(routine, now)
    already = set(Invitation.objects.filter(meeting=meeting).values_list("person_id", flat=True))
    deputies = [p for p in section_leads(unit) if p.pk not in already]
    on_call = routine.on_call_person
    if on_call is not None and (not on_call.is_active or on_call.pk in already):
        on_call = None
    if office and deputies:
        targets, origin = deputies, InvitationOrigin.ESCALATED
    elif on_call is not None:
        # Outside office hours, or nobody left in the section: socialjour answers.
        targets, origin = [on_call], InvitationOrigin.ON_CALL
    else:
        targets, origin = deputies, InvitationOrigin.ESCALATED
    invitation.escalated_at = now
    invitation.save(update_fields=["escalated_at"])
    new = [_call(meeting, p, unit, origin=origin, parent=invitation) for p in targets]
    called = [p.get_username() for p in targets]
    record(
        actor=actor,
        action="invitation.escalated",
        case=meeting.case,
        unit=unit,
        recipients=called,
        detail={
            "meeting": str(meeting.id),
            "invitation": str(invitation.id),
            "unit": unit.name,
            "after_minutes": routine.escalation_minutes,
            "office_hours": office,
            "to": origin if targets else "nobody",
            "called": called,
        },
    )
    _to_convener_and_room(
        meeting,
        events.InvitationEscalated(
            meeting_id=str(meeting.id),
            invitation_id=str(invitation.id),
            unit_id=str(unit.id),
            unit=unit.name,
            called=[name_of(p) for p in targets],
            on_call=origin == InvitationOrigin.ON_CALL,
            escalated_at=_iso(now),
            case_reference=_case_reference(meeting),
        ),
    )
    return new


# ---------------------------------------------------------------------------------------
# The meeting


def _locked_meeting(actor: Any, meeting: Meeting) -> Meeting:
    try:
        locked = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("case__owning_unit__agency", "forum", "routine", "convened_by")
            .get(pk=meeting.pk)
        )
    except Meeting.DoesNotExist as exc:
        raise NotFound() from exc
    if not policy.may_join_meeting(actor, locked) and not policy.may_manage_meeting(actor, locked):
        raise NotFound()
    return locked


def _manageable_meeting(actor: Any, meeting: Meeting) -> Meeting:
    locked = _locked_meeting(actor, meeting)
    if not policy.may_manage_meeting(actor, locked):
        raise Forbidden(_("Bara den som kallade eller ärendets handläggare kan göra det."))
    if locked.case is not None and locked.case.erased_at is not None:
        raise CaseErasedError()
    return locked


@transaction.atomic
def meeting_open(*, actor: Any, meeting: Meeting) -> Meeting:
    meeting = _manageable_meeting(actor, meeting)
    if meeting.status != MeetingStatus.CONVENED:
        raise Conflict(_("Mötet är redan öppnat eller avslutat."))
    now = timezone.now()
    if now < meeting.starts_at - OPEN_EARLY:
        raise Conflict(
            _("Mötet kan öppnas tidigast en kvart före kl. %(time)s.")
            % {"time": f"{timezone.localtime(meeting.starts_at):%H:%M}"}
        )
    meeting.status = MeetingStatus.OPEN
    meeting.opened_at = now
    meeting.save(update_fields=["status", "opened_at"])
    record(
        actor=actor,
        action="meeting.opened",
        case=meeting.case,
        detail={"meeting": str(meeting.id)},
    )
    event = events.MeetingOpened(
        meeting_id=str(meeting.id),
        opened_at=_iso(now),
        case_reference=_case_reference(meeting),
        url=_meeting_url(meeting),
    )
    publish_on_commit(rooms.meeting_room(meeting.id), event)
    waiting = (
        Invitation.objects.filter(meeting=meeting)
        .exclude(answer__in=[InvitationAnswer.DECLINED, InvitationAnswer.DELEGATED])
        .values_list("person_id", flat=True)
    )
    for person_id in sorted(set(waiting)):
        publish_on_commit(rooms.inbox_room(person_id), event)
    return meeting


def meeting_units(meeting: Meeting) -> list[Unit]:
    """The sections taking part: those called, and the unit that owns the case."""
    ids = set(
        Invitation.objects.filter(meeting=meeting, unit__isnull=False).values_list(
            "unit_id", flat=True
        )
    )
    if meeting.case is not None:
        ids.add(meeting.case.owning_unit_id)
    return list(Unit.objects.filter(pk__in=ids).order_by("name"))


def action_owners(unit: Unit) -> list[Any]:
    """People an action of ``unit`` may be given to: its leads and its members."""
    user_model = get_user_model()
    return list(
        user_model.objects.filter(
            Q(pk=unit.lead_id) | Q(deputy_for_units=unit) | Q(memberships__unit=unit)
        )
        .filter(is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


@transaction.atomic
def action_record(
    *,
    actor: Any,
    meeting: Meeting,
    owner_unit: Unit,
    text: str,
    due_date: dt.date,
    owner_person: Any = None,
) -> Action:
    """A section's responsibility or decision, with owner and due date, in an open meeting."""
    meeting = _locked_meeting(actor, meeting)
    if not policy.may_record_action(actor, meeting):
        raise NotFound()
    if meeting.status != MeetingStatus.OPEN:
        raise Conflict(_("Beslut och åtgärder förs in medan mötet pågår."))
    case = meeting.case
    if case is None:
        raise Conflict(_("Mötet gäller inget ärende."))
    if case.erased_at is not None:
        raise CaseErasedError()
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise Invalid(_("Skriv vad som ska göras (högst 2000 tecken)."), detail={"field": "text"})
    if owner_unit.pk not in {u.pk for u in meeting_units(meeting)}:
        raise Invalid(
            _("Den ansvariga enheten deltar inte i mötet."), detail={"field": "owner_unit"}
        )
    if owner_person is not None and owner_person.pk not in {
        p.pk for p in action_owners(owner_unit)
    }:
        raise Invalid(
            _("Den ansvariga personen hör inte till enheten."), detail={"field": "owner_person"}
        )
    if not isinstance(due_date, dt.date) or due_date < timezone.localdate():
        raise Invalid(_("Datumet har redan passerat."), detail={"field": "due_date"})
    action = Action(
        meeting=meeting,
        case=case,
        owner_unit=owner_unit,
        owner_person=owner_person,
        due_date=due_date,
        created_by=actor,
    )
    action.text_ciphertext = vault.encrypt_value(
        vault.case_data_key(case), str(case.id), f"action:{action.id}", text
    )
    action.full_clean()
    action.save(force_insert=True)
    record(
        actor=actor,
        action="action.recorded",
        case=case,
        unit=owner_unit,
        detail={
            "meeting": str(meeting.id),
            "action": str(action.id),
            "owner_unit": owner_unit.name,
            "owner_person": owner_person.get_username() if owner_person else "",
            "due_date": due_date.isoformat(),
        },
    )
    publish_on_commit(
        rooms.meeting_room(meeting.id),
        events.ActionRecorded(
            meeting_id=str(meeting.id),
            action_id=str(action.id),
            owner_unit=owner_unit.name,
            owner_person=name_of(owner_person),
            due_date=due_date.isoformat(),
            status=action.status,
            recorded_by=name_of(actor),
        ),
    )
    return action


@transaction.atomic
def action_complete(*, actor: Any, action: Action) -> Action:
    try:
        action = (
            Action.objects.select_for_update(of=("self",))
            .select_related("case__owning_unit", "owner_unit", "meeting")
            .get(pk=action.pk)
        )
    except Action.DoesNotExist as exc:
        raise NotFound() from exc
    if not policy.may_follow_action(actor, action):
        raise NotFound()
    if action.status == ActionStatus.DONE:
        raise Conflict(_("Åtgärden är redan klarmarkerad."))
    action.status = ActionStatus.DONE
    action.done_at = timezone.now()
    action.done_by = actor
    action.save(update_fields=["status", "done_at", "done_by"])
    record(
        actor=actor,
        action="action.completed",
        case=action.case,
        unit=action.owner_unit,
        detail={"meeting": str(action.meeting_id), "action": str(action.id)},
    )
    publish_on_commit(
        rooms.meeting_room(action.meeting_id),
        events.ActionCompleted(
            meeting_id=str(action.meeting_id),
            action_id=str(action.id),
            done_at=_iso(action.done_at),
            done_by=name_of(actor),
        ),
    )
    return action


# ---------------------------------------------------------------------------------------
# Minutes


def canonical_json(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def minutes_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _person(user: Any) -> dict[str, str]:
    return {"username": user.get_username(), "name": name_of(user)}


def minutes_content(meeting: Meeting, *, closed_at: dt.datetime) -> dict[str, Any]:
    """Everything the protokoll says, as plain JSON (decrypted action texts included)."""
    case = meeting.case
    assert case is not None
    data_key = vault.case_data_key(case)
    invitations = list(
        Invitation.objects.filter(meeting=meeting)
        .select_related("person", "unit", "delegated_to")
        .order_by("created_at")
    )
    attendees: list[dict[str, Any]] = []
    if meeting.convened_by is not None:
        attendees.append({**_person(meeting.convened_by), "unit": "", "role": "convener"})
    present = {meeting.convened_by_id}
    absent: list[dict[str, Any]] = []
    for invitation in invitations:
        entry = {
            **_person(invitation.person),
            "unit": invitation.unit.name if invitation.unit else "",
            "origin": invitation.origin,
        }
        if invitation.answer == InvitationAnswer.ACCEPTED:
            if invitation.person_id not in present:
                present.add(invitation.person_id)
                attendees.append({**entry, "role": "called"})
        else:
            absent.append(
                {
                    **entry,
                    "answer": invitation.answer,
                    "reason": invitation.reason,
                    "delegated_to": name_of(invitation.delegated_to),
                }
            )
    absent = [a for a in absent if a["username"] not in {p["username"] for p in attendees}]
    # Convener first, then section by section.
    attendees[1 if meeting.convened_by else 0 :] = sorted(
        attendees[1 if meeting.convened_by else 0 :], key=lambda a: (a["unit"], a["name"])
    )
    absent.sort(key=lambda a: (a["unit"], a["name"]))
    actions = []
    for action in (
        Action.objects.filter(meeting=meeting)
        .select_related("owner_unit", "owner_person", "created_by")
        .order_by("created_at")
    ):
        actions.append(
            {
                "id": str(action.id),
                "owner_unit": action.owner_unit.name,
                "owner_person": name_of(action.owner_person),
                "text": vault.decrypt_value(
                    data_key, str(case.id), f"action:{action.id}", action.text_ciphertext
                ),
                "due_date": action.due_date.isoformat(),
                "status": action.status,
                "recorded_by": name_of(action.created_by),
            }
        )
    incident = meeting.incident
    return {
        "meeting": str(meeting.id),
        "forum": meeting.forum.name,
        "routine": meeting.routine.name if meeting.routine else "",
        "case_reference": case.reference,
        "legal_basis": policy.Basis.SAME_AUTHORITY if meeting.forum.internal else "",
        "incident": {
            "kind": incident.kind,
            "registered_at": _iso(incident.created_at),
        }
        if incident
        else None,
        "convened_at": _iso(meeting.created_at),
        "starts_at": _iso(meeting.starts_at),
        "opened_at": _iso(meeting.opened_at),
        "closed_at": _iso(closed_at),
        "convened_by": _person(meeting.convened_by) if meeting.convened_by else None,
        "attendees": attendees,
        "absent": absent,
        "checklist": meeting.routine.checklist if meeting.routine else [],
        "actions": actions,
    }


@transaction.atomic
def meeting_close(*, actor: Any, meeting: Meeting) -> Minutes:
    """Close the meeting and freeze its minutes; their SHA-256 goes into the audit trail."""
    meeting = _manageable_meeting(actor, meeting)
    if meeting.status != MeetingStatus.OPEN:
        raise Conflict(_("Bara ett pågående möte kan avslutas."))
    case = meeting.case
    if case is None:
        raise Conflict(_("Mötet gäller inget ärende."))
    now = timezone.now()
    content = minutes_content(meeting, closed_at=now)
    digest = minutes_sha256(content)
    minutes = Minutes(
        meeting=meeting,
        sha256=digest,
        content_ciphertext=vault.encrypt_value(
            vault.case_data_key(case), str(case.id), f"minutes:{meeting.id}", content
        ),
    )
    minutes.save(force_insert=True)
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = now
    meeting.save(update_fields=["status", "closed_at"])
    record(
        actor=actor,
        action="meeting.closed",
        case=case,
        legal_basis=content["legal_basis"],
        recipients=[a["username"] for a in content["attendees"]],
        detail={
            "meeting": str(meeting.id),
            "minutes_sha256": digest,
            "attendees": len(content["attendees"]),
            "absent": len(content["absent"]),
            "actions": len(content["actions"]),
        },
    )
    publish_on_commit(
        rooms.meeting_room(meeting.id),
        events.MeetingClosed(
            meeting_id=str(meeting.id),
            closed_at=_iso(now),
            minutes_sha256=digest,
            minutes_url=_meeting_url(meeting, "meeting_minutes"),
        ),
    )
    return minutes
