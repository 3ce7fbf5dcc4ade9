"""Events for the tests: one the same for everyone, one with a view per disclosure level."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from realtime import events


@dataclasses.dataclass(frozen=True)
class Noted(events.Event):
    kind: ClassVar[str] = "test.noted"
    note: str


@dataclasses.dataclass(frozen=True)
class Briefed(events.Event):
    kind: ClassVar[str] = "test.briefed"
    case_id: str
    brief: str
    anonymised: str

    def views(self) -> dict[str, dict[str, Any]]:
        return {
            "identified": {"case_id": self.case_id, "brief": self.brief},
            "anonymised": {"case_id": self.case_id, "brief": self.anonymised},
        }
