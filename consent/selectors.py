"""Reads of consents, disclosures and the catalogue; reads of case information are audited."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from audit.services import record_atomic
from consent import policy
from consent.models import (
    Consent,
    ConsentStatus,
    Disclosure,
    InformationCategory,
    LegalBasis,
    PurposeCode,
)
from coordination import vault
from coordination.errors import NotFound
from coordination.models import Agency, Case, Forum


@dataclass(frozen=True)
class ConsentView:
    consent: Consent
    status: ConsentStatus
    purpose: str
    revoked_reason: str
    agencies: list[str]
    forums: list[str]
    categories: list[str]

    @property
    def status_display(self) -> str:
        return str(self.status.label)

    @property
    def purpose_display(self) -> str:
        return str(PurposeCode(self.consent.purpose_code).label)

    @property
    def open(self) -> bool:
        """Still in force or about to be: it may be extended or revoked."""
        return self.status in (ConsentStatus.VALID, ConsentStatus.PENDING)


@dataclass(frozen=True)
class DisclosureView:
    disclosure: Disclosure
    assessment: str
    categories: list[str]


def _case_for_consents(user: Any, case_id: uuid.UUID | str) -> Case:
    """The case if the person works with it; the same NotFound as a missing case otherwise."""
    try:
        case = Case.objects.select_related("owning_unit__agency").get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if not policy.may_see_consents(user, case):
        raise NotFound()
    return case


def _decrypt(case: Case, data_key: bytes | None, field: str, sealed: Any) -> str:
    if data_key is None or not sealed:
        return ""
    return str(vault.decrypt_value(data_key, str(case.id), field, bytes(sealed)))


def _category_labels(categories: list[str]) -> list[str]:
    return [
        str(InformationCategory(c).label) for c in categories if c in InformationCategory.values
    ]


def consent_views(case: Case, *, on: dt.date | None = None) -> list[ConsentView]:
    today = on or timezone.localdate()
    data_key = vault.case_data_key(case) if case.erased_at is None else None
    views = []
    consents = (
        Consent.objects.filter(case=case)
        .select_related("witnessed_by", "recorded_by", "revoked_by")
        .prefetch_related("recipient_agencies", "recipient_forums")
    )
    for consent in consents:
        views.append(
            ConsentView(
                consent=consent,
                status=consent.status(today),
                purpose=_decrypt(
                    case, data_key, f"consent:{consent.id}:purpose", consent.purpose_ciphertext
                ),
                revoked_reason=_decrypt(
                    case,
                    data_key,
                    f"consent:{consent.id}:revoked_reason",
                    consent.revoked_reason_ciphertext,
                ),
                agencies=sorted(a.name for a in consent.recipient_agencies.all()),
                forums=sorted(f.name for f in consent.recipient_forums.all()),
                categories=_category_labels(consent.categories),
            )
        )
    return views


def consent_list(*, user: Any, case_id: uuid.UUID | str) -> tuple[Case, list[ConsentView]]:
    """The case's consents with their status; the read is audited (purposes are case data)."""
    case = _case_for_consents(user, case_id)
    views = consent_views(case)
    record_atomic(
        actor=user,
        action="consent.listed",
        case=case,
        legal_basis=policy.Basis.OWNING_UNIT,
        detail={"consents": [str(v.consent.id) for v in views]},
    )
    return case, views


def consent_get(*, user: Any, case_id: uuid.UUID | str, consent_id: uuid.UUID | str) -> Consent:
    case = _case_for_consents(user, case_id)
    try:
        return Consent.objects.select_related("case").get(pk=consent_id, case=case)
    except (Consent.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def disclosure_list(*, user: Any, case_id: uuid.UUID | str) -> list[DisclosureView]:
    """What the case's information went where, on which basis, and the decider's assessment."""
    case = _case_for_consents(user, case_id)
    data_key = vault.case_data_key(case) if case.erased_at is None else None
    rows = Disclosure.objects.filter(case=case).select_related(
        "basis", "recipient_agency", "recipient_unit__agency", "recipient_forum", "decided_by"
    )
    views = [
        DisclosureView(
            disclosure=row,
            assessment=_decrypt(
                case, data_key, f"disclosure:{row.id}:assessment", row.assessment_ciphertext
            ),
            categories=_category_labels(row.categories),
        )
        for row in rows
    ]
    record_atomic(
        actor=user,
        action="disclosure.listed",
        case=case,
        legal_basis=policy.Basis.OWNING_UNIT,
        detail={"disclosures": [str(v.disclosure.id) for v in views]},
    )
    return views


def legal_basis_list(*, active_only: bool = True) -> QuerySet[LegalBasis]:
    bases = LegalBasis.objects.all()
    return bases.filter(active=True) if active_only else bases


def recipient_agencies() -> QuerySet[Agency]:
    return Agency.objects.select_related("municipality").order_by("name")


def recipient_forums() -> QuerySet[Forum]:
    return Forum.objects.order_by("name")


def witness_candidates(*, user: Any, case: Case) -> QuerySet[Any]:
    """Colleagues in the owning agency who can witness an oral consent."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__unit__agency=case.owning_unit.agency)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def consent_case(*, user: Any, case_id: uuid.UUID | str) -> Case:
    """The case whose consents the person may handle (the reference only; not audited)."""
    return _case_for_consents(user, case_id)
