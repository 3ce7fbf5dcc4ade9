"""Anonymised briefs of a case: identifiers out of the vault, the draft, the message check.

The engine gets the case's identifiers decrypted from the vault for the length of one
call; they are never stored, logged or put into an error. Errors and audit entries name
categories and counts, never values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from audit.services import record_atomic
from consent import policy
from consent.anonymiser.categories import LABELS
from consent.anonymiser.engine import Redaction, Result, find_identifiers, redact
from consent.anonymiser.identifiers import birth_date_of
from coordination import selectors, vault
from coordination.errors import CaseErasedError, Invalid
from coordination.models import Case, IdentityField


class IdentifierInMessage(Invalid):
    """A message for a room where the case is anonymised names the person."""

    code = "identifier_in_message"


def _decrypted(case: Case) -> dict[str, Any]:
    if case.erased_at is not None:
        raise CaseErasedError()
    try:
        data_key = vault.case_data_key(case)
    except vault.CaseErased as exc:
        raise CaseErasedError() from exc
    return {
        row.name: vault.decrypt_value(data_key, str(case.id), row.name, row.ciphertext)
        for row in IdentityField.objects.filter(case=case)
    }


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []


def _people(value: Any) -> list[dict[str, Any]]:
    return [p for p in value if isinstance(p, dict)] if isinstance(value, list) else []


def identifiers_for_case(case: Case) -> dict[str, Any]:
    """The case's identifiers in the shape of DESIGN §5.2 (plus relatives, children and
    municipality), decrypted from its vault. Keep the result in memory only."""
    fields = _decrypted(case)
    address = fields.get("address")
    addresses = []
    if isinstance(address, dict):
        line = str(address.get("street", "")).strip()
        place = " ".join(
            str(address.get(k, "")).strip() for k in ("postal_code", "city") if address.get(k)
        )
        addresses.append(", ".join(p for p in (line, place) if p))
    children = []
    numbers = _strings(fields.get("personnummer"))
    for child in _people(fields.get("children")):
        entry: dict[str, Any] = {"name": str(child.get("name", ""))}
        number = child.get("personnummer")
        if isinstance(number, str) and number:
            numbers.append(number)
            birth = birth_date_of(number)
            if birth:
                entry["birth_date"] = birth.isoformat()
        children.append(entry)
    municipality = case.owning_unit.agency.municipality
    return {
        "names": _strings(fields.get("name")) + _strings(fields.get("nicknames")),
        "personnummer": numbers,
        "addresses": addresses,
        "phones": _strings(fields.get("phone")),
        "emails": _strings(fields.get("email")),
        "schools": _strings(fields.get("school")),
        "other": [],
        "relatives": [str(p.get("name", "")) for p in _people(fields.get("relatives"))],
        "children": children,
        "municipality": municipality.code if municipality else None,
    }


@dataclass(frozen=True)
class Draft:
    """An anonymised brief before the case officer has confirmed it."""

    case_id: uuid.UUID
    source: str
    result: Result

    @property
    def text(self) -> str:
        return self.result.text

    @property
    def redactions(self) -> tuple[Redaction, ...]:
        return self.result.redactions

    @property
    def fingerprint(self) -> str:
        """Names exactly this draft, so a confirmation cannot apply to a changed text."""
        digest = hashlib.sha256()
        for part in (str(self.case_id), self.source, self.result.text, self.result.summary):
            digest.update(part.encode())
            digest.update(b"\x00")
        return digest.hexdigest()


def draft_brief(case: Case, text: str, *, today: dt.date | None = None) -> Draft:
    return Draft(case.id, text, redact(text, identifiers_for_case(case), today=today))


@dataclass(frozen=True)
class Finding:
    category: str
    start: int
    end: int

    @property
    def label(self) -> str:
        return LABELS.get(self.category, self.category)


def identifiers_in(case: Case, text: str) -> list[Finding]:
    """Identifiers in ``text`` that may not be shared where ``case`` is anonymised."""
    return [
        Finding(r.category, r.start, r.end)
        for r in find_identifiers(text, identifiers_for_case(case))
    ]


def check_message(case: Case, text: str) -> None:
    """Refuse a message that names the person: ``IdentifierInMessage`` says what was found
    (categories and offsets, never the values)."""
    findings = identifiers_in(case, text)
    if not findings:
        return
    labels = list(dict.fromkeys(f.label for f in findings))
    raise IdentifierInMessage(
        _(
            "Meddelandet innehåller uppgifter som kan identifiera personen (%(found)s). "
            "Ärendet presenteras avidentifierat här; ta bort uppgifterna och skicka igen."
        )
        % {"found": ", ".join(labels)},
        detail={
            "categories": list(dict.fromkeys(f.category for f in findings)),
            "spans": [[f.start, f.end] for f in findings],
        },
    )


def brief_preview(*, user: Any, case_id: uuid.UUID | str, text: str) -> tuple[Case, Draft]:
    """The redaction preview of a draft for a person who works on the case; audited
    (categories and counts only) because the case's identity was read to make it."""
    case = selectors.case_get(user=user, case_id=case_id)
    draft = draft_brief(case, text)
    _record(user, case, draft, "brief.previewed")
    return case, draft


def brief_confirm(
    *, user: Any, case_id: uuid.UUID | str, text: str, fingerprint: str
) -> tuple[Case, Draft]:
    """The case officer confirms the preview they saw; a text that changed since then (or
    whose redactions changed) must be previewed again."""
    case = selectors.case_get(user=user, case_id=case_id)
    draft = draft_brief(case, text)
    if fingerprint != draft.fingerprint:
        raise Invalid(
            _(
                "Texten eller avidentifieringen har ändrats sedan förhandsgranskningen. "
                "Granska den nya versionen och bekräfta igen."
            ),
            detail={"field": "text"},
        )
    _record(user, case, draft, "brief.confirmed")
    return case, draft


def _record(user: Any, case: Case, draft: Draft, action: str) -> None:
    decision = policy.case_access(user, case, policy.Context.PRESENTATION)
    record_atomic(
        actor=user,
        action=action,
        case=case,
        legal_basis=decision.basis,
        detail={
            "redactions": len(draft.redactions),
            "categories": sorted({r.category for r in draft.redactions}),
            "warnings": [w.code for w in draft.result.warnings],
        },
    )
