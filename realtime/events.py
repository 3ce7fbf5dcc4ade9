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
