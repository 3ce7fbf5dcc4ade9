"""Every change to consents, the catalogue of legal bases and the record of disclosures.

Each function asks the policy, validates, writes, records its audit entry in the same
transaction, and publishes its realtime event after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NoReturn

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from consent import events, policy
from consent.errors import ConsentExpiredError, ConsentRevokedError, DisclosureRefused
from consent.models import (
    Consent,
    ConsentStatus,
    Disclosure,
    DisclosureContext,
    DisclosureLevel,
    GivenHow,
    InformationCategory,
    LegalBasis,
    PurposeCode,
    categories_of,
    fields_of,
)
from coordination import vault
from coordination.errors import CaseErasedError, Forbidden, Invalid, NotFound
from coordination.models import Agency, AgencyKind, Case, Forum, Meeting, Membership, Unit
from realtime import rooms
from realtime.publish import access_changed_on_commit, publish_on_commit

_MAX_TEXT = 4000


def _locked_case(actor: Any, case: Case) -> Case:
    """The case locked for a change by someone who works with it."""
    if not policy.works_on_case(actor, case):
        raise NotFound()
    locked = Case.objects.select_for_update().select_related("owning_unit__agency").get(pk=case.pk)
    if locked.erased_at is not None:
        raise CaseErasedError()
    return locked


def _locked_consent(actor: Any, consent: Consent) -> tuple[Case, Consent]:
    case = _locked_case(actor, consent.case)
    return case, Consent.objects.select_for_update().get(pk=consent.pk)


def _text(value: Any, field: str, *, required: bool, message: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise Invalid(message, detail={"field": field})
    if len(text) > _MAX_TEXT:
        raise Invalid(_("Texten är för lång."), detail={"field": field})
    return text


def _categories(values: Iterable[Any]) -> list[str]:
    chosen = {str(v) for v in values}
    unknown = chosen - set(InformationCategory.values)
    if unknown:
        raise Invalid(_("Okända uppgifter."), detail={"field": "categories"})
    return [c for c in InformationCategory.values if c in chosen]


def _witness(given_how: str, witnessed_by: Any, actor: Any) -> Any:
    if given_how not in GivenHow.values:
        raise Invalid(
            _("Ange om samtycket är skriftligt eller muntligt."), detail={"field": "given_how"}
        )
    if given_how == GivenHow.ORAL and witnessed_by is None:
        raise Invalid(
            _("Ett muntligt samtycke ska bevittnas; ange vem som bevittnade det."),
            detail={"field": "witnessed_by"},
        )
    if witnessed_by is not None and witnessed_by.pk == actor.pk:
        raise Invalid(
            _("Den som bevittnar kan inte vara den som registrerar samtycket."),
            detail={"field": "witnessed_by"},
        )
    if witnessed_by is not None and not witnessed_by.is_active:
        raise Invalid(_("Vittnet har inget aktivt konto."), detail={"field": "witnessed_by"})
    return witnessed_by


def _username(user: Any) -> str:
    return str(user.get_username()) if user is not None else ""


# --- consent -------------------------------------------------------------------------------


@transaction.atomic
def consent_record(
    *,
    actor: Any,
    case: Case,
    agencies: Iterable[Agency] = (),
    forums: Iterable[Forum] = (),
    categories: Iterable[str],
    purpose_code: str,
    purpose: str = "",
    given_how: str,
    witnessed_by: Any = None,
    document_reference: str = "",
    valid_from: dt.date,
    valid_to: dt.date,
) -> Consent:
    """Record the client's consent: to whom, what, why, how given, and for how long."""
    case = _locked_case(actor, case)
    agencies = list(agencies)
    forums = list(forums)
    if not agencies and not forums:
        raise Invalid(_("Ange minst en mottagare."), detail={"field": "recipients"})
    chosen = _categories(categories)
    if not chosen:
        raise Invalid(_("Ange vilka uppgifter samtycket gäller."), detail={"field": "categories"})
    if purpose_code not in PurposeCode.values:
        raise Invalid(_("Okänt ändamål."), detail={"field": "purpose_code"})
    purpose_text = _text(
        purpose,
        "purpose",
        required=purpose_code == PurposeCode.OTHER,
        message=_("Beskriv ändamålet."),
    )
    witness = _witness(given_how, witnessed_by, actor)
    if valid_to < valid_from:
        raise Invalid(
            _("Slutdatumet kan inte ligga före startdatumet."), detail={"field": "valid_to"}
        )
    if valid_to < timezone.localdate():
        raise Invalid(_("Slutdatumet har redan passerat."), detail={"field": "valid_to"})
    consent = Consent(
        case=case,
        categories=chosen,
        purpose_code=purpose_code,
        given_how=given_how,
        witnessed_by=witness,
        document_reference=document_reference.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        recorded_by=actor,
    )
    if purpose_text:
        consent.purpose_ciphertext = vault.encrypt_value(
            vault.case_data_key(case), str(case.id), f"consent:{consent.id}:purpose", purpose_text
        )
    consent.full_clean()
    consent.save(force_insert=True)
    consent.recipient_agencies.set(agencies)
    consent.recipient_forums.set(forums)
    record(
        actor=actor,
        action="consent.recorded",
        case=case,
        legal_basis=policy.Basis.CONSENT,
        recipients=[a.name for a in agencies] + [f.name for f in forums],
        fields=chosen,
        detail={
            "consent": str(consent.id),
            "purpose_code": purpose_code,
            "given_how": given_how,
            "witnessed_by": _username(witness),
            "document_reference": consent.document_reference,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat(),
        },
    )
    publish_on_commit(
        rooms.case_room(case.id),
        events.ConsentRecorded(
            case_id=str(case.id),
            consent_id=str(consent.id),
            purpose_code=purpose_code,
            valid_from=valid_from.isoformat(),
            valid_to=valid_to.isoformat(),
        ),
    )
    return consent


def _usable(consent: Consent) -> None:
    status = consent.status(timezone.localdate())
    if status is ConsentStatus.REVOKED:
        raise ConsentRevokedError()
    if status is ConsentStatus.EXPIRED:
        raise ConsentExpiredError()


@transaction.atomic
def consent_extend(
    *,
    actor: Any,
    consent: Consent,
    valid_to: dt.date,
    given_how: str,
    witnessed_by: Any = None,
) -> Consent:
    """The client agreed to a later end date; how they agreed is recorded like a new consent.

    A revoked or expired consent cannot be extended: the client gives a new one.
    """
    case, consent = _locked_consent(actor, consent)
    _usable(consent)
    witness = _witness(given_how, witnessed_by, actor)
    if valid_to <= consent.valid_to:
        raise Invalid(
            _("Det nya slutdatumet måste ligga efter %(date)s.")
            % {"date": consent.valid_to.isoformat()},
            detail={"field": "valid_to"},
        )
    previous = consent.valid_to
    consent.valid_to = valid_to
    consent.full_clean()
    consent.save(update_fields=["valid_to"])
    record(
        actor=actor,
        action="consent.extended",
        case=case,
        legal_basis=policy.Basis.CONSENT,
        fields=consent.categories,
        detail={
            "consent": str(consent.id),
            "previous_valid_to": previous.isoformat(),
            "valid_to": valid_to.isoformat(),
            "given_how": given_how,
            "witnessed_by": _username(witness),
        },
    )
    publish_on_commit(
        rooms.case_room(case.id),
        events.ConsentExtended(
            case_id=str(case.id), consent_id=str(consent.id), valid_to=valid_to.isoformat()
        ),
    )
    return consent


def _people_reached_by(consent: Consent) -> list[int]:
    """Everyone who could have seen something because of this consent."""
    agencies = consent.recipient_agencies.all()
    forum_units = Unit.objects.filter(forums__in=consent.recipient_forums.all())
    members = Membership.objects.filter(unit__agency__in=agencies) | Membership.objects.filter(
        unit__in=forum_units
    )
    people = set(members.values_list("user_id", flat=True))
    people |= {
        pk
        for pk in consent.disclosures.values_list("recipient_person_id", flat=True)
        if pk is not None
    }
    return sorted(people)


@transaction.atomic
def consent_revoke(*, actor: Any, consent: Consent, reason: str) -> Consent:
    """The client withdrew the consent; it stops counting at once, everywhere.

    Open connections of everyone it reached are told to check their access again.
    """
    case, consent = _locked_consent(actor, consent)
    if consent.revoked_at is not None:
        raise ConsentRevokedError(_("Samtycket är redan återkallat."))
    text = _text(reason, "reason", required=True, message=_("Ange varför samtycket återkallas."))
    consent.revoked_at = timezone.now()
    consent.revoked_by = actor
    consent.revoked_reason_ciphertext = vault.encrypt_value(
        vault.case_data_key(case), str(case.id), f"consent:{consent.id}:revoked_reason", text
    )
    consent.save(update_fields=["revoked_at", "revoked_by", "revoked_reason_ciphertext"])
    record(
        actor=actor,
        action="consent.revoked",
        case=case,
        legal_basis=policy.Basis.CONSENT,
        fields=consent.categories,
        detail={"consent": str(consent.id)},
    )
    publish_on_commit(
        rooms.case_room(case.id),
        events.ConsentRevoked(
            case_id=str(case.id),
            consent_id=str(consent.id),
            revoked_at=consent.revoked_at.isoformat(),
        ),
    )
    access_changed_on_commit(_people_reached_by(consent))
    return consent


# --- the catalogue of legal bases ----------------------------------------------------------

_BASIS_FIELDS = (
    "title",
    "statute_reference",
    "description",
    "sender_kinds",
    "recipient_kinds",
    "same_agency_only",
    "level",
    "categories",
    "requires_consent",
    "client_must_be_informed",
    "active",
)


def _kinds(values: Any, field: str) -> list[str]:
    chosen = {str(v) for v in values or ()}
    if not chosen:
        raise Invalid(_("Ange minst ett slag av myndighet."), detail={"field": field})
    if chosen - set(AgencyKind.values):
        raise Invalid(_("Okänt slag av myndighet."), detail={"field": field})
    return [k for k in AgencyKind.values if k in chosen]


def clean_legal_basis(values: dict[str, Any]) -> dict[str, Any]:
    """Validated catalogue values (also used by the admin form to show errors in place)."""
    cleaned = dict(values)
    for field in ("title", "statute_reference"):
        if field in cleaned:
            cleaned[field] = _text(
                cleaned[field], field, required=True, message=_("Fältet får inte vara tomt.")
            )
    if "description" in cleaned:
        cleaned["description"] = _text(
            cleaned["description"], "description", required=False, message=""
        )
    for field in ("sender_kinds", "recipient_kinds"):
        if field in cleaned:
            cleaned[field] = _kinds(cleaned[field], field)
    if "categories" in cleaned:
        cleaned["categories"] = _categories(cleaned["categories"])
    if "level" in cleaned and cleaned["level"] not in DisclosureLevel.values:
        raise Invalid(_("Okänd nivå."), detail={"field": "level"})
    for field in ("same_agency_only", "requires_consent", "client_must_be_informed", "active"):
        if field in cleaned:
            cleaned[field] = bool(cleaned[field])
    return cleaned


def _audit_value(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


@transaction.atomic
def legal_basis_create(*, actor: Any, code: str, **values: Any) -> LegalBasis:
    """Add a basis to the catalogue (administrators only; the lawyers own its text)."""
    if not policy.may_administer(actor):
        raise Forbidden()
    unknown = set(values) - set(_BASIS_FIELDS)
    if unknown:
        raise Invalid(_("Okända fält."), detail={"fields": sorted(unknown)})
    if LegalBasis.objects.filter(code=code).exists():
        raise Invalid(_("Koden används redan."), detail={"field": "code"})
    cleaned = clean_legal_basis(values)
    basis = LegalBasis(code=code, **cleaned)
    basis.full_clean()
    basis.save(force_insert=True)
    record(
        actor=actor,
        action="legal_basis.created",
        legal_basis=basis.code,
        detail={
            "code": basis.code,
            **{f: _audit_value(getattr(basis, f)) for f in _BASIS_FIELDS},
        },
    )
    return basis


@transaction.atomic
def legal_basis_update(*, actor: Any, basis: LegalBasis, **changes: Any) -> LegalBasis:
    """Change a basis; its code stays, so past disclosures keep pointing at it."""
    if not policy.may_administer(actor):
        raise Forbidden()
    unknown = set(changes) - set(_BASIS_FIELDS)
    if unknown:
        raise Invalid(_("Okända fält."), detail={"fields": sorted(unknown)})
    basis = LegalBasis.objects.select_for_update().get(pk=basis.pk)
    cleaned = clean_legal_basis(changes)
    changed = {
        field: [_audit_value(getattr(basis, field)), _audit_value(value)]
        for field, value in cleaned.items()
        if getattr(basis, field) != value
    }
    if not changed:
        return basis
    for field, value in cleaned.items():
        setattr(basis, field, value)
    basis.full_clean()
    basis.save(update_fields=[*changed, "updated_at"])
    record(
        actor=actor,
        action="legal_basis.updated",
        legal_basis=basis.code,
        detail={"code": basis.code, "changes": changed},
    )
    return basis


# --- disclosures -------------------------------------------------------------------------


def _basis(value: LegalBasis | str) -> LegalBasis:
    if isinstance(value, LegalBasis):
        return value
    try:
        return LegalBasis.objects.get(code=value)
    except LegalBasis.DoesNotExist as exc:
        raise Invalid(_("Okänd rättslig grund."), detail={"field": "basis"}) from exc


def _person_belongs(person: Any, recipient: Agency | Unit | Forum) -> bool:
    memberships = Membership.objects.filter(user=person)
    if isinstance(recipient, Agency):
        return memberships.filter(unit__agency=recipient).exists()
    if isinstance(recipient, Unit):
        return memberships.filter(unit=recipient).exists()
    return memberships.filter(unit__forums=recipient).exists()


def _raise_refusal(refusal: policy.Refusal) -> NoReturn:
    if refusal.code == "not_found":
        raise NotFound()
    if refusal.code == "case_erased":
        raise CaseErasedError()
    raise DisclosureRefused(refusal.reason, code=refusal.code)


@transaction.atomic
def disclosure_record(
    *,
    actor: Any,
    case: Case,
    recipient: Agency | Unit | Forum,
    basis: LegalBasis | str,
    categories: Iterable[str],
    assessment: str,
    context: str,
    recipient_person: Any = None,
    meeting: Meeting | None = None,
) -> Disclosure:
    """Record one disclosure a person decided: what, to whom, on which basis, and why.

    Nothing is shared by this alone; the calling service (a referral, a presentation)
    shares exactly the fields recorded here.
    """
    case = _locked_case(actor, case)
    legal_basis = _basis(basis)
    chosen = _categories(categories)
    if context not in DisclosureContext.values:
        raise Invalid(_("Okänt sammanhang."), detail={"field": "context"})
    note = _text(
        assessment,
        "assessment",
        required=True,
        message=_("Skriv din sekretessbedömning (menprövning)."),
    )
    decision = policy.may_disclose(
        actor, case, recipient, legal_basis, fields_of(chosen), context=policy.Context(context)
    )
    if isinstance(decision, policy.Refusal):
        _raise_refusal(decision)
    if recipient_person is not None and not _person_belongs(recipient_person, recipient):
        raise Invalid(_("Personen hör inte till mottagaren."), detail={"field": "recipient_person"})
    consent = None
    if decision.consent_id:
        # Locked, so a revocation running at the same moment is either before or after.
        consent = Consent.objects.select_for_update().get(pk=decision.consent_id)
        _usable(consent)
    disclosure = Disclosure(
        case=case,
        context=context,
        level=str(decision.level),
        categories=categories_of(decision.fields),
        fields=sorted(decision.fields),
        recipient_agency=(
            recipient
            if isinstance(recipient, Agency)
            else recipient.agency
            if isinstance(recipient, Unit)
            else None
        ),
        recipient_unit=recipient if isinstance(recipient, Unit) else None,
        recipient_forum=recipient if isinstance(recipient, Forum) else None,
        recipient_person=recipient_person,
        basis=legal_basis,
        basis_code=legal_basis.code,
        consent=consent,
        meeting=meeting,
        decided_by=actor,
        client_must_be_informed=legal_basis.client_must_be_informed,
    )
    disclosure.assessment_ciphertext = vault.encrypt_value(
        vault.case_data_key(case), str(case.id), f"disclosure:{disclosure.id}:assessment", note
    )
    disclosure.full_clean()
    disclosure.save(force_insert=True)
    recipients = [disclosure.recipient_name]
    if recipient_person is not None:
        recipients.append(_username(recipient_person))
    record(
        actor=actor,
        action="disclosure.recorded",
        case=case,
        legal_basis=legal_basis.code,
        recipients=recipients,
        fields=disclosure.fields,
        detail={
            "disclosure": str(disclosure.id),
            "context": context,
            "level": disclosure.level,
            "consent": str(consent.id) if consent else "",
            "meeting": str(meeting.id) if meeting else "",
            "client_must_be_informed": disclosure.client_must_be_informed,
        },
    )
    publish_on_commit(
        rooms.case_room(case.id),
        events.DisclosureRecorded(
            case_id=str(case.id),
            disclosure_id=str(disclosure.id),
            basis=legal_basis.code,
            recipient=disclosure.recipient_name,
            context=context,
            level=disclosure.level,
        ),
    )
    return disclosure
