"""Case changes: creation, the identity vault, incidents, risk assessments, erasure."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from consent import policy
from coordination import identity, vault
from coordination.errors import CaseErasedError, Forbidden, Invalid, NotFound
from coordination.models import (
    Case,
    CaseCategory,
    CaseReferenceCounter,
    IdentityField,
    Incident,
    IncidentKind,
    PersonIndex,
    RiskAssessment,
    RiskInstrument,
    RiskLevel,
    Unit,
)
from realtime import events, rooms
from realtime.publish import publish_on_commit

_PHONE = re.compile(r"^(?:\+46|0046|0)[1-9]\d{6,9}$")
_POSTAL_CODE = re.compile(r"^\d{3} ?\d{2}$")


def _next_reference(category: str, unit: Unit) -> str:
    municipality = unit.agency.municipality
    area = municipality.code if municipality else "05"
    prefix = f"{category}-{area}-{timezone.localdate().year}"
    counter, _created = CaseReferenceCounter.objects.select_for_update().get_or_create(
        prefix=prefix
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}-{counter.last:04d}"


@transaction.atomic
def case_create(
    *,
    actor: Any,
    unit: Unit,
    category: str = CaseCategory.VINR,
    protected_identity: bool = False,
    officers: Iterable[Any] = (),
) -> Case:
    if not policy.may_create_case(actor, unit):
        raise Forbidden()
    if category not in CaseCategory.values:
        raise Invalid(_("Okänd ärendekategori."), detail={"category": category})
    case = Case(
        reference=_next_reference(category, unit),
        category=category,
        owning_unit=unit,
        protected_identity=protected_identity,
        created_by=actor,
    )
    case.wrapped_data_key, case.data_key_id = vault.new_wrapped_data_key(str(case.id))
    case.full_clean()
    case.save(force_insert=True)
    assigned = {actor, *officers}
    case.officers.set(assigned)
    record(
        actor=actor,
        action="case.created",
        case=case,
        unit=unit,
        detail={
            "protected_identity": protected_identity,
            "officers": sorted(o.get_username() for o in assigned),
        },
    )
    publish_on_commit(
        rooms.case_room(case.id), events.CaseCreated(case_id=str(case.id), reference=case.reference)
    )
    return case


@transaction.atomic
def case_officer_assign(*, actor: Any, case: Case, officer: Any) -> Case:
    if not policy.leads_unit(actor, case.owning_unit) and not policy.works_on_case(actor, case):
        raise NotFound()
    if not policy.may_create_case(officer, case.owning_unit):
        raise Invalid(_("Personen arbetar inte på ärendets enhet."))
    case.officers.add(officer)
    record(
        actor=actor,
        action="case.officer_assigned",
        case=case,
        detail={"officer": officer.get_username()},
    )
    return case


def _locked_case(actor: Any, case: Case) -> Case:
    """The case row locked for this change, after the policy allowed the change."""
    if not policy.works_on_case(actor, case):
        raise NotFound()
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.erased_at is not None:
        raise CaseErasedError()
    return locked


def _text(value: Any, field: str, *, max_length: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise Invalid(_("Fältet är tomt eller för långt."), detail={"field": field})
    return value.strip()


def _identity_number(value: Any, field: str) -> str:
    try:
        digits = identity.normalise(str(value))
    except identity.InvalidIdentityNumber as exc:
        raise Invalid(
            _("Ogiltigt personnummer eller samordningsnummer."), detail={"field": field}
        ) from exc
    return f"{digits[:8]}-{digits[8:]}"


def _phone(value: Any) -> str:
    compact = re.sub(r"[\s\-()]", "", str(value))
    if not _PHONE.match(compact):
        raise Invalid(_("Ogiltigt telefonnummer."), detail={"field": "phone"})
    return compact


def _email(value: Any) -> str:
    try:
        validate_email(value)
    except ValidationError as exc:
        raise Invalid(_("Ogiltig e-postadress."), detail={"field": "email"}) from exc
    return str(value).strip()


def _address(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Invalid(_("Adressen saknar gata, postnummer eller ort."), detail={"field": "address"})
    postal_code = str(value.get("postal_code", "")).strip()
    if not _POSTAL_CODE.match(postal_code):
        raise Invalid(_("Ogiltigt postnummer."), detail={"field": "address"})
    return {
        "street": _text(value.get("street"), "address"),
        "postal_code": postal_code.replace(" ", "")[:3] + " " + postal_code.replace(" ", "")[3:],
        "city": _text(value.get("city"), "address"),
    }


def _people(value: Any, field: str, *, keys: tuple[str, ...]) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise Invalid(_("En lista med personer väntades."), detail={"field": field})
    people = []
    for item in value:
        if not isinstance(item, dict):
            raise Invalid(_("En lista med personer väntades."), detail={"field": field})
        person = {"name": _text(item.get("name"), field)}
        for key in keys:
            raw = item.get(key)
            if raw in (None, ""):
                continue
            person[key] = (
                _identity_number(raw, field) if key == "personnummer" else _text(raw, field)
            )
        people.append(person)
    return people


def clean_identity(data: dict[str, Any]) -> dict[str, Any]:
    """Validated, normalised identity fields; unknown fields are refused."""
    unknown = set(data) - policy.IDENTITY_FIELDS
    if unknown:
        raise Invalid(_("Okända uppgifter."), detail={"fields": sorted(unknown)})
    cleaners = {
        "name": lambda v: _text(v, "name"),
        "nicknames": lambda v: [_text(n, "nicknames", max_length=60) for n in v or []],
        "personnummer": lambda v: _identity_number(v, "personnummer"),
        "address": _address,
        "phone": _phone,
        "email": _email,
        "children": lambda v: _people(v, "children", keys=("personnummer",)),
        "relatives": lambda v: _people(v, "relatives", keys=("relation",)),
        "school": lambda v: _text(v, "school"),
    }
    return {name: cleaners[name](value) for name, value in data.items()}


@transaction.atomic
def case_identity_register(*, actor: Any, case: Case, data: dict[str, Any]) -> Case:
    """Store (or replace) identity fields in the case's vault and update the blind index."""
    case = _locked_case(actor, case)
    cleaned = clean_identity(data)
    data_key = vault.case_data_key(case)
    for name, value in cleaned.items():
        IdentityField.objects.update_or_create(
            case=case,
            name=name,
            defaults={"ciphertext": vault.encrypt_value(data_key, str(case.id), name, value)},
        )
    if "personnummer" in cleaned or "children" in cleaned:
        numbers = [
            n
            for n in [
                _stored_number(case, data_key, "personnummer"),
                *(c.get("personnummer") for c in _stored_list(case, data_key, "children")),
            ]
            if n
        ]
        PersonIndex.objects.filter(case=case).delete()
        PersonIndex.objects.bulk_create(
            [PersonIndex(case=case, digest=vault.blind_index(n)) for n in set(numbers)]
        )
    record(actor=actor, action="case.identity_registered", case=case, fields=cleaned.keys())
    return case


def _stored(case: Case, data_key: bytes, name: str) -> Any:
    row = IdentityField.objects.filter(case=case, name=name).first()
    if row is None:
        return None
    return vault.decrypt_value(data_key, str(case.id), name, row.ciphertext)


def _stored_number(case: Case, data_key: bytes, name: str) -> str | None:
    value = _stored(case, data_key, name)
    return value if isinstance(value, str) else None


def _stored_list(case: Case, data_key: bytes, name: str) -> list[dict[str, str]]:
    value = _stored(case, data_key, name)
    return value if isinstance(value, list) else []


@transaction.atomic
def incident_register(
    *,
    actor: Any,
    case: Case,
    kind: str,
    occurred_at: dt.datetime,
    description: str = "",
) -> Incident:
    case = _locked_case(actor, case)
    if kind not in IncidentKind.values:
        raise Invalid(_("Okänt slag av händelse."), detail={"field": "kind"})
    if occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise Invalid(_("Händelsen kan inte ligga i framtiden."), detail={"field": "occurred_at"})
    incident = Incident(case=case, kind=kind, occurred_at=occurred_at, reported_by=actor)
    if description:
        data_key = vault.case_data_key(case)
        incident.description_ciphertext = vault.encrypt_value(
            data_key, str(case.id), f"incident:{incident.id}", description
        )
    incident.full_clean()
    incident.save(force_insert=True)
    record(
        actor=actor,
        action="incident.registered",
        case=case,
        detail={"incident": str(incident.id), "kind": kind},
    )
    publish_on_commit(
        rooms.case_room(case.id),
        events.IncidentRegistered(
            case_id=str(case.id),
            incident_id=str(incident.id),
            incident_kind=kind,
            occurred_at=occurred_at.isoformat(),
        ),
    )
    return incident


@transaction.atomic
def risk_assessment_add(
    *, actor: Any, case: Case, instrument: str, assessed_on: dt.date, level: int
) -> RiskAssessment:
    case = _locked_case(actor, case)
    if instrument not in RiskInstrument.values:
        raise Invalid(_("Okänt bedömningsinstrument."), detail={"field": "instrument"})
    if level not in RiskLevel.values:
        raise Invalid(_("Okänd risknivå."), detail={"field": "level"})
    assessment = RiskAssessment(
        case=case, instrument=instrument, assessed_on=assessed_on, assessor=actor, level=level
    )
    assessment.full_clean()
    assessment.save(force_insert=True)
    record(
        actor=actor,
        action="risk_assessment.added",
        case=case,
        detail={"assessment": str(assessment.id), "instrument": instrument, "level": level},
    )
    publish_on_commit(
        rooms.case_room(case.id),
        events.RiskAssessed(
            case_id=str(case.id),
            assessment_id=str(assessment.id),
            instrument=instrument,
            level=level,
        ),
    )
    return assessment


@transaction.atomic
def case_erase(*, actor: Any, case: Case, reason: str) -> Case:
    """Gallring: destroy the case's data key, so every ciphertext of it is unreadable.

    The audit trail keeps the pseudonymous reference; the blind index goes too, so the
    person can no longer be found through this case.
    """
    if not policy.may_erase_case(actor, case):
        if policy.works_on_case(actor, case):
            raise Forbidden(_("Endast enhetens chef eller ersättare kan gallra ett ärende."))
        raise NotFound()
    if not reason.strip():
        raise Invalid(_("Ange skälet till gallringen."), detail={"field": "reason"})
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.erased_at is not None:
        raise CaseErasedError()
    case.wrapped_data_key = None
    case.data_key_id = ""
    case.erased_at = timezone.now()
    case.save(update_fields=["wrapped_data_key", "data_key_id", "erased_at"])
    PersonIndex.objects.filter(case=case).delete()
    record(actor=actor, action="case.erased", case=case, detail={"reason": reason.strip()})
    publish_on_commit(
        rooms.case_room(case.id), events.CaseErased(case_id=str(case.id), reference=case.reference)
    )
    return case


def kek_rotate(*, actor: Any) -> tuple[str, int]:
    """Make a new key-encryption key current and rewrap every data key under it.

    Only wrapped data keys change (of cases, concern reports and case-less meeting
    rooms); no field is re-encrypted. Each batch is rewrapped in its own transaction with its audit entry, so a crash leaves every
    data key wrapped by a key that still exists (old key files are kept).
    """
    if actor is not None and not policy.may_administer(actor):
        raise Forbidden()
    from django.conf import settings

    import keystore
    from coordination.models_consultation import ConcernReport
    from realtime.models import RoomKey

    new_id = keystore.add_key_encryption_key(settings.KEY_DIR)
    vault.reload_keys()
    # Every holder of a wrapped data key: (rows, key field, key-id field, associated-data id).
    holders: list[tuple[Any, str, str, Any]] = [
        (
            Case.objects.exclude(wrapped_data_key=None),
            "wrapped_data_key",
            "data_key_id",
            lambda row: str(row.id),
        ),
        (
            ConcernReport.objects.exclude(wrapped_data_key=None),
            "wrapped_data_key",
            "data_key_id",
            lambda row: row.vault_id,
        ),
        (RoomKey.objects.all(), "wrapped_key", "key_id", lambda row: row.room),
    ]
    rewrapped = 0
    for rows, key_field, id_field, aad_id in holders:
        pending = rows.exclude(**{id_field: new_id})
        while True:
            with transaction.atomic():
                batch = list(pending.select_for_update()[:200])
                if not batch:
                    break
                for row in batch:
                    wrapped, key_id = vault.rewrap_data_key(
                        aad_id(row), getattr(row, key_field), getattr(row, id_field)
                    )
                    setattr(row, key_field, wrapped)
                    setattr(row, id_field, key_id)
                    row.save(update_fields=[key_field, id_field])
                rewrapped += len(batch)
                record(
                    actor=actor,
                    action="vault.kek_rotated",
                    detail={"kek_id": new_id, "keys": len(batch), "kind": rows.model._meta.label},
                )
    return new_id, rewrapped
