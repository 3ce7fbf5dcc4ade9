"""Typed realtime events. One dataclass per kind; documented in docs/protocol.md."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar


@dataclasses.dataclass(frozen=True)
class Event:
    kind: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}

    def views(self) -> dict[str, dict[str, Any]] | None:
        """One variant of the payload per disclosure level ("identified", "anonymised").

        None means everyone who may see the event at all sees the same payload. An
        event with views must name its case in ``case_id``; a recipient whose level has
        no variant gets the event withheld.
        """
        return None


@dataclasses.dataclass(frozen=True)
class CaseCreated(Event):
    kind: ClassVar[str] = "case.created"
    case_id: str
    reference: str


@dataclasses.dataclass(frozen=True)
class IncidentRegistered(Event):
    kind: ClassVar[str] = "incident.registered"
    case_id: str
    incident_id: str
    incident_kind: str
    occurred_at: str


@dataclasses.dataclass(frozen=True)
class RiskAssessed(Event):
    kind: ClassVar[str] = "risk.assessed"
    case_id: str
    assessment_id: str
    instrument: str
    level: int


@dataclasses.dataclass(frozen=True)
class CaseErased(Event):
    kind: ClassVar[str] = "case.erased"
    case_id: str
    reference: str


# Styrgrupp meetings (DESIGN.md §2.1). Events name the case by reference only and carry
# no text that may name the client: a decision's text is fetched by the page through the
# disclosure policy when ``action.recorded`` arrives.


@dataclasses.dataclass(frozen=True)
class MeetingCalled(Event):
    """To a called person's inbox: you are called to a meeting (answer on ``url``)."""

    kind: ClassVar[str] = "meeting.called"
    meeting_id: str
    invitation_id: str
    forum: str
    case_reference: str
    unit: str
    starts_at: str
    origin: str
    convened_by: str
    url: str


@dataclasses.dataclass(frozen=True)
class InvitationAnswered(Event):
    """To the meeting room and the convener's inbox: one answer to one call."""

    kind: ClassVar[str] = "invitation.answered"
    meeting_id: str
    invitation_id: str
    unit_id: str
    unit: str
    person: str
    answer: str
    answer_display: str
    reason: str
    delegated_to: str
    answered_at: str
    case_reference: str


@dataclasses.dataclass(frozen=True)
class InvitationEscalated(Event):
    """To the meeting room and the convener's inbox: a section did not answer in time."""

    kind: ClassVar[str] = "invitation.escalated"
    meeting_id: str
    invitation_id: str
    unit_id: str
    unit: str
    called: list[str]
    on_call: bool
    escalated_at: str
    case_reference: str


@dataclasses.dataclass(frozen=True)
class MeetingOpened(Event):
    kind: ClassVar[str] = "meeting.opened"
    meeting_id: str
    opened_at: str
    case_reference: str
    url: str


@dataclasses.dataclass(frozen=True)
class MeetingMoved(Event):
    """A meeting got a new time; ``sequence`` is the calendar event's new SEQUENCE."""

    kind: ClassVar[str] = "meeting.moved"
    meeting_id: str
    forum: str
    starts_at: str
    previous_starts_at: str
    sequence: int
    url: str


@dataclasses.dataclass(frozen=True)
class ActionRecorded(Event):
    kind: ClassVar[str] = "action.recorded"
    meeting_id: str
    action_id: str
    owner_unit: str
    owner_person: str
    due_date: str
    status: str
    recorded_by: str


@dataclasses.dataclass(frozen=True)
class ActionCompleted(Event):
    kind: ClassVar[str] = "action.completed"
    meeting_id: str
    action_id: str
    done_at: str
    done_by: str


@dataclasses.dataclass(frozen=True)
class MeetingClosed(Event):
    kind: ClassVar[str] = "meeting.closed"
    meeting_id: str
    closed_at: str
    minutes_sha256: str
    minutes_url: str


@dataclasses.dataclass(frozen=True)
class MessageCreated(Event):
    """A message was written. Its text is added on delivery, as the recipient may see it."""

    kind: ClassVar[str] = "message.created"
    message_id: str
    # The case whose disclosure rules decide who reads the text ("" for none).
    case_id: str
    version: int
    sender: dict[str, Any]
    client_id: str
    at: str


@dataclasses.dataclass(frozen=True)
class MessageEdited(Event):
    """A message got a new version of its text; earlier versions stay stored."""

    kind: ClassVar[str] = "message.edited"
    message_id: str
    # The case whose disclosure rules decide who reads the text ("" for none).
    case_id: str
    version: int
    editor: dict[str, Any]
    client_id: str
    at: str


@dataclasses.dataclass(frozen=True)
class MessageDeleted(Event):
    """A message was deleted: from now on no view shows its text."""

    kind: ClassVar[str] = "message.deleted"
    message_id: str
    # The case whose disclosure rules decide who reads the text ("" for none).
    case_id: str
    deleted_by: dict[str, Any]
    client_id: str
    at: str


MESSAGE_KINDS = frozenset({MessageCreated.kind, MessageEdited.kind})


# The konsultativ grupp, referrals and concern reports (DESIGN.md §2.2). These events
# carry no text people wrote and never a client's identity: the page fetches what its
# person may see through the disclosure policy when one arrives. An anonymised
# presentation is not even named by its case reference in the meeting's room.


@dataclasses.dataclass(frozen=True)
class SlotBooked(Event):
    """To the meeting room: a case was booked on a slot (the agenda changed)."""

    kind: ClassVar[str] = "slot.booked"
    meeting_id: str
    slot_id: str
    presentation_id: str
    mode: str


@dataclasses.dataclass(frozen=True)
class SupportRecorded(Event):
    """To the meeting room: an agency recorded (or changed) the support it can offer."""

    kind: ClassVar[str] = "support.recorded"
    meeting_id: str
    presentation_id: str
    support_id: str
    unit: str
    recorded_by: str
    at: str


@dataclasses.dataclass(frozen=True)
class FeedbackUpdated(Event):
    """To the case room: the återkoppling to the client was recorded or completed."""

    kind: ClassVar[str] = "feedback.updated"
    case_id: str
    feedback_id: str
    status: str


@dataclasses.dataclass(frozen=True)
class ReferralUpdated(Event):
    """To the case room and the inboxes of both sides: a referral's status changed."""

    kind: ClassVar[str] = "referral.updated"
    referral_id: str
    status: str
    status_display: str
    # "" when the case has a protected identity: its reference stays out of notifications.
    case_reference: str
    from_unit: str
    to: str
    at: str
    url: str


@dataclasses.dataclass(frozen=True)
class ConcernReceived(Event):
    """To the inboxes of the receiving unit: a concern report about a child arrived."""

    kind: ClassVar[str] = "concern.received"
    report_id: str
    from_agency: str
    municipality: str
    submitted_at: str
    url: str


@dataclasses.dataclass(frozen=True)
class ConcernUpdated(Event):
    """To the reporter's and the receiving unit's inboxes: receipt or outcome given."""

    kind: ClassVar[str] = "concern.updated"
    report_id: str
    status: str
    status_display: str
    acknowledged_at: str
    outcome: str
    outcome_display: str
    url: str
