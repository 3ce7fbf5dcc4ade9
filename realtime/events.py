"""Typed realtime events. One dataclass per kind; documented in docs/protocol.md."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar


@dataclasses.dataclass(frozen=True)
class Event:
    kind: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}


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
