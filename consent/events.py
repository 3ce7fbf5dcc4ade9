"""Typed realtime events of consents and disclosures (published to the case's room).

They name the consent, the disclosure and the recipients' agencies, never the client:
the case room is for the people who work with the case, but events also reach logs.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from realtime.events import Event


@dataclasses.dataclass(frozen=True)
class ConsentRecorded(Event):
    kind: ClassVar[str] = "consent.recorded"
    case_id: str
    consent_id: str
    purpose_code: str
    valid_from: str
    valid_to: str


@dataclasses.dataclass(frozen=True)
class ConsentExtended(Event):
    kind: ClassVar[str] = "consent.extended"
    case_id: str
    consent_id: str
    valid_to: str


@dataclasses.dataclass(frozen=True)
class ConsentRevoked(Event):
    kind: ClassVar[str] = "consent.revoked"
    case_id: str
    consent_id: str
    revoked_at: str


@dataclasses.dataclass(frozen=True)
class DisclosureRecorded(Event):
    kind: ClassVar[str] = "disclosure.recorded"
    case_id: str
    disclosure_id: str
    basis: str
    recipient: str
    context: str
    level: str
