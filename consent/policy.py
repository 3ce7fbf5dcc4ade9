"""The disclosure policy: the one place that decides who may see or do what.

Every view, serializer, consumer, selector, export and notification asks here. The
answers never reveal whether a case exists to someone who may not see it.

Secrecy (OSL 8 kap) applies at every boundary between agencies and between units of
one agency, so the default is that nothing crosses. Within the owning unit, the case's
assigned officers and the unit's lead and deputies work with the case. Outside it, a
person sees a case only

* in a meeting where it is presented: internally within the owning authority, anonymised,
  or with the client's valid consent covering the meeting's forum or the person's agency
  (only the categories the consent covers);
* as the recipient of a recorded disclosure (a referral), while its basis still holds:
  a consent that is still valid, or a basis that needs no consent.

Skyddade personuppgifter: identity never leaves the owning unit (outside it the level is
at most anonymised and the address is shown to nobody), and such cases appear neither
in search results nor in notification texts outside the owning unit.

``may_disclose`` answers whether a person may disclose given fields of a case to a
recipient on a legal basis from the catalogue, and if not, says in Swedish what is missing.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.models import (
    CATEGORY_FIELDS,
    PURPOSE_CONTEXTS,
    Consent,
    ConsentStatus,
    Disclosure,
    DisclosureLevel,
    InformationCategory,
    LegalBasis,
    PurposeCode,
    categories_of,
)
from coordination.models import (
    Agency,
    AgencyKind,
    Case,
    Forum,
    Invitation,
    InvitationAnswer,
    Meeting,
    Membership,
    Presentation,
    PresentationMode,
    Role,
    Unit,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


class Context(enum.StrEnum):
    CASE_PAGE = "case_page"
    PRESENTATION = "presentation"
    REFERRAL = "referral"
    MESSAGE = "message"
    EXPORT = "export"
    SEARCH = "search"
    NOTIFICATION = "notification"


class Level(enum.StrEnum):
    NONE = "none"
    ANONYMISED = "anonymised"
    IDENTIFIED = "identified"


IDENTITY_FIELDS = frozenset(
    {
        "name",
        "nicknames",
        "personnummer",
        "address",
        "phone",
        "email",
        "children",
        "relatives",
        "school",
    }
)
ADDRESS_FIELDS = frozenset({"address"})
# What the case says beyond who it is about (see consent/models.py for the categories).
CONTENT_FIELDS = frozenset(
    CATEGORY_FIELDS[InformationCategory.SITUATION]
    | CATEGORY_FIELDS[InformationCategory.RISK]
    | CATEGORY_FIELDS[InformationCategory.HEALTH]
    | CATEGORY_FIELDS[InformationCategory.SUPPORT]
)
ALL_FIELDS = IDENTITY_FIELDS | CONTENT_FIELDS


class Basis(enum.StrEnum):
    """Why a person may see a case (codes recorded in the audit trail)."""

    OWNING_UNIT = "owning_unit"  # works with the case in the unit that owns it
    SAME_AUTHORITY = "same_authority"  # internal forum of the owning authority (styrgrupp)
    ANONYMISED = "anonymised"  # nobody outside the owning unit can tell who it is
    CONSENT = "consent"  # the client's consent (OSL 12 kap 2 §), within its scope


@dataclass(frozen=True)
class Decision:
    level: Level
    fields: frozenset[str] = frozenset()
    basis: str = ""
    flagged: bool = False  # access to a protected identity, for the access-log review
    consent_id: str = ""  # the consent a disclosure relies on, when its basis needs one

    @property
    def allowed(self) -> bool:
        return self.level is not Level.NONE


DENY = Decision(Level.NONE)


@dataclass(frozen=True)
class Refusal:
    """``may_disclose``'s no: a stable code and, in Swedish, what is missing."""

    code: str
    reason: str
    level: Level = Level.NONE

    @property
    def allowed(self) -> bool:
        return False


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _roles(user: Any, unit: Unit) -> set[str]:
    return set(Membership.objects.filter(user=user, unit=unit).values_list("role", flat=True))


def leads_unit(user: Any, unit: Unit) -> bool:
    if not _active(user):
        return False
    return unit.lead_id == user.pk or _standing(user, unit, None)[0]


def works_on_case(user: Any, case: Case) -> bool:
    """Assigned officer of the case who still holds a case role in its owning unit,
    or lead / deputy of that unit. Removing the role ends access to assigned cases too."""
    if not _active(user):
        return False
    unit = case.owning_unit
    if unit.lead_id == user.pk:
        return True
    leads, assigned = _standing(user, unit, case)
    return leads or assigned


def _standing(user: Any, unit: Unit, case: Case | None) -> tuple[bool, bool]:
    """Whether ``user`` leads ``unit`` (as deputy or section lead; the unit's own lead is
    known from the unit), and whether they are an officer of the unit assigned to ``case``.

    One statement for both, written out: it is asked on every read and every message of
    a case, and building it through the ORM costs more than running it.
    """
    db = connections[Membership.objects.db]
    unit_id = Unit._meta.pk.get_db_prep_value(unit.pk, db)
    case_id = Case._meta.pk.get_db_prep_value(case.pk, db) if case is not None else None
    params = [user.pk, unit_id, Role.SECTION_LEAD, unit_id, user.pk]
    params += [user.pk, unit_id, Role.CASE_OFFICER, case_id, user.pk]
    with db.cursor() as cursor:
        cursor.execute(_standing_sql(db.alias), params)
        row = cursor.fetchone()
    assert row is not None
    return bool(row[0]), bool(row[1])


@functools.cache
def _standing_sql(alias: str) -> str:
    quote = connections[alias].ops.quote_name

    def table(model: Any) -> tuple[str, dict[str, str]]:
        return quote(model._meta.db_table), {f.name: quote(f.column) for f in model._meta.fields}

    member, m = table(Membership)
    deputy, d = table(Unit.deputies.through)
    officer, o = table(Case.officers.through)
    # Table and column names come from the models; every value is a parameter.
    role = (
        f"SELECT 1 FROM {member} WHERE {m['user']} = %s AND {m['unit']} = %s AND {m['role']} = %s"  # noqa: S608
    )
    deputy_of = f"SELECT 1 FROM {deputy} WHERE {d['unit']} = %s AND {d['user']} = %s"  # noqa: S608
    assigned = f"SELECT 1 FROM {officer} WHERE {o['case']} = %s AND {o['user']} = %s"  # noqa: S608
    return (
        f"SELECT EXISTS ({role}) OR EXISTS ({deputy_of}), EXISTS ({role}) AND EXISTS ({assigned})"
    )


def case_access(
    user: Any,
    case: Case,
    context: Context = Context.CASE_PAGE,
    *,
    meeting: Meeting | None = None,
) -> Decision:
    """May ``user`` see ``case`` in ``context``, at which level, which fields, on which basis.

    ``meeting`` names the meeting in which the case is being looked at, for people who see
    it only because it is presented there.
    """
    if not _active(user):
        return DENY
    if works_on_case(user, case):
        return _owner_access(case, context)
    if context is Context.SEARCH:
        return DENY  # search results list only cases the person works on
    if context is Context.NOTIFICATION and case.protected_identity:
        return DENY
    if meeting is not None:
        return _presented_case_access(user, case, meeting)
    if context is Context.REFERRAL:
        return _disclosed_case_access(user, case)
    if context is Context.NOTIFICATION:
        return _notified_case_access(user, case)
    return DENY


def _owner_access(case: Case, context: Context) -> Decision:
    """What the people who work with the case in the owning unit see."""
    if case.erased_at is not None:
        return Decision(Level.ANONYMISED, frozenset(), Basis.OWNING_UNIT)
    if context is Context.SEARCH and case.protected_identity:
        return DENY
    if context is Context.NOTIFICATION and case.protected_identity:
        return Decision(Level.ANONYMISED, frozenset(), Basis.OWNING_UNIT, flagged=True)
    if case.protected_identity:
        # Skyddade personuppgifter: the address is shown to nobody, not even the owning unit.
        return Decision(
            Level.IDENTIFIED, ALL_FIELDS - ADDRESS_FIELDS, Basis.OWNING_UNIT, flagged=True
        )
    return Decision(Level.IDENTIFIED, ALL_FIELDS, Basis.OWNING_UNIT)


def visible_cases(user: Any) -> QuerySet[Case]:
    """The cases ``user`` may see at all (the same rule as ``case_access``)."""
    if not _active(user):
        return Case.objects.none()
    led_units = Unit.objects.filter(
        Q(lead=user)
        | Q(deputies=user)
        | Q(memberships__user=user, memberships__role=Role.SECTION_LEAD)
    )
    officer_units = Unit.objects.filter(memberships__user=user, memberships__role=Role.CASE_OFFICER)
    return (
        Case.objects.filter(
            Q(officers=user, owning_unit__in=officer_units) | Q(owning_unit__in=led_units)
        )
        .distinct()
        .select_related("owning_unit__agency__municipality")
    )


def may_create_case(user: Any, unit: Unit) -> bool:
    if not _active(user):
        return False
    return bool(_roles(user, unit) & {Role.CASE_OFFICER, Role.SECTION_LEAD})


def may_change_case(user: Any, case: Case) -> bool:
    if case.erased_at is not None:
        return False
    return works_on_case(user, case)


def may_erase_case(user: Any, case: Case) -> bool:
    """Erasure (gallring) is a decision for the owning unit's lead or deputies."""
    return leads_unit(user, case.owning_unit)


def may_administer(user: Any) -> bool:
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role=Role.ADMIN).exists()


def may_join_meeting(user: Any, meeting: Meeting) -> bool:
    """Convener, called people who have not declined, presenters, and the forum's members."""
    if not _active(user):
        return False
    if meeting.convened_by_id == user.pk:
        return True
    called = Invitation.objects.filter(meeting=meeting, person=user).exclude(
        answer__in=[InvitationAnswer.DECLINED, InvitationAnswer.DELEGATED]
    )
    if called.exists():
        return True
    if Presentation.objects.filter(meeting=meeting, presented_by=user).exists():
        return True
    if meeting.ad_hoc:
        return False
    return Membership.objects.filter(
        user=user,
        unit__in=meeting.forum.member_units.all(),
        role__in=[Role.FORUM_MEMBER, Role.SECTION_LEAD],
    ).exists()


def _presented_case_access(user: Any, case: Case, meeting: Meeting) -> Decision:
    """What a meeting participant outside the owning unit may see of a presented case."""
    if not may_join_meeting(user, meeting):
        return DENY
    presentation = Presentation.objects.filter(meeting=meeting, case=case).first()
    internal_meeting = meeting.case_id == case.pk and meeting.forum.internal
    if presentation is None and not internal_meeting:
        return DENY
    if case.erased_at is not None:
        return Decision(Level.ANONYMISED, frozenset(), Basis.ANONYMISED)
    mode = presentation.mode if presentation else PresentationMode.INTERNAL
    if mode == PresentationMode.INTERNAL:
        if not _same_authority(user, case):
            return DENY
        if case.protected_identity:
            # Identity never leaves the owning unit, not even within the authority.
            return Decision(Level.ANONYMISED, frozenset(), Basis.SAME_AUTHORITY, flagged=True)
        return Decision(Level.IDENTIFIED, ALL_FIELDS - ADDRESS_FIELDS, Basis.SAME_AUTHORITY)
    if mode == PresentationMode.ANONYMISED:
        return Decision(
            Level.ANONYMISED, frozenset(), Basis.ANONYMISED, flagged=case.protected_identity
        )
    if mode == PresentationMode.CONSENTED:
        return _consented_presentation_access(user, case, meeting)
    return DENY


def _consented_presentation_access(user: Any, case: Case, meeting: Meeting) -> Decision:
    """Only what a valid consent covering this forum or the person's agency covers.

    Without such a consent the answer is none: a consented presentation is never
    silently turned into an anonymised one.
    """
    fields = consented_fields(user, case, Context.PRESENTATION, forum=meeting.forum)
    if not fields:
        return DENY
    if case.protected_identity:
        # Identity never leaves the owning unit, whatever the client consented to.
        return Decision(Level.ANONYMISED, fields & CONTENT_FIELDS, Basis.CONSENT, flagged=True)
    return Decision(Level.IDENTIFIED, fields, Basis.CONSENT)


def _same_authority(user: Any, case: Case) -> bool:
    return Membership.objects.filter(user=user, unit__agency_id=case.owning_unit.agency_id).exists()


def case_room_access(user: Any, case: Case) -> Decision:
    """A case's own room is for the people who work with the case; what they see there."""
    return case_access(user, case, Context.MESSAGE)


def may_join_case_room(user: Any, case: Case) -> bool:
    return case_room_access(user, case).allowed


def may_read_inbox(user: Any) -> bool:
    """Everyone signed in with an active account has their own inbox, and only that one."""
    return _active(user)


def message_check_required(meeting: Meeting | None) -> bool:
    """Whether what is written in a meeting must first be checked for identifying data:
    so whenever a case is presented there anonymised, since its participants outside the
    owning unit must not be able to tell who it is about.
    """
    if meeting is None:
        return False
    return Presentation.objects.filter(meeting=meeting, mode=PresentationMode.ANONYMISED).exists()


# --- consent and disclosures ---------------------------------------------------------------


def _today(on: dt.date | None) -> dt.date:
    return on if on is not None else timezone.localdate()


def _agency_ids(user: Any) -> set[Any]:
    return set(Membership.objects.filter(user=user).values_list("unit__agency_id", flat=True))


def _forum_ids(user: Any) -> set[Any]:
    """Forums the person sits in for their unit (as member or section lead)."""
    return set(
        Forum.objects.filter(
            member_units__memberships__user=user,
            member_units__memberships__role__in=[Role.FORUM_MEMBER, Role.SECTION_LEAD],
        ).values_list("id", flat=True)
    )


def consent_reaches(consent: Consent, *, forum: Forum | None, agency_ids: set[Any]) -> bool:
    """Whether the consent names the forum, or one of the given agencies, as a recipient."""
    if forum is not None and consent.recipient_forums.filter(pk=forum.pk).exists():
        return True
    return consent.recipient_agencies.filter(pk__in=agency_ids).exists()


def consented_fields(
    user: Any,
    case: Case,
    context: Context,
    *,
    forum: Forum | None = None,
    on: dt.date | None = None,
) -> frozenset[str]:
    """Fields that valid consents let ``user`` see of ``case`` in ``context``.

    A consent counts when it is neither revoked nor outside its validity on ``on``
    (today), its purpose allows ``context``, and its recipients include ``forum`` or the
    person's agency.
    """
    if not _active(user):
        return frozenset()
    today = _today(on)
    agency_ids = _agency_ids(user)
    covered: set[str] = set()
    for consent in Consent.objects.filter(case=case):
        if consent.status(today) is not ConsentStatus.VALID:
            continue
        if str(context) not in PURPOSE_CONTEXTS.get(consent.purpose_code, frozenset()):
            continue
        if not consent_reaches(consent, forum=forum, agency_ids=agency_ids):
            continue
        covered |= consent.fields
    return frozenset(covered)


def disclosure_still_holds(disclosure: Disclosure, on: dt.date | None = None) -> bool:
    """A disclosure gives access while its consent is valid, or if its basis needs none."""
    if disclosure.consent is not None:
        return disclosure.consent.status(_today(on)) is ConsentStatus.VALID
    return not disclosure.basis.requires_consent


def disclosures_to(user: Any, case: Case, *, on: dt.date | None = None) -> list[Disclosure]:
    """Disclosures of ``case`` made to ``user`` (as person, unit, agency or forum) that hold.

    A disclosure to a named person reaches only that person; one to a unit, the unit's
    people; one to an agency, everybody in it; one to a forum, the forum's members.
    """
    if not _active(user):
        return []
    memberships = Membership.objects.filter(user=user)
    to_user = Q(recipient_person=user)
    to_unit = Q(recipient_person__isnull=True, recipient_unit__in=memberships.values("unit_id"))
    to_agency = Q(
        recipient_person__isnull=True,
        recipient_unit__isnull=True,
        recipient_agency__in=memberships.values("unit__agency_id"),
    )
    to_forum = Q(recipient_person__isnull=True, recipient_forum__in=_forum_ids(user))
    rows = (
        Disclosure.objects.filter(case=case)
        .filter(to_user | to_unit | to_agency | to_forum)
        .select_related("basis", "consent")
        .order_by("-created_at")
    )
    return [row for row in rows if disclosure_still_holds(row, on)]


def disclosed_fields(user: Any, case: Case, *, on: dt.date | None = None) -> frozenset[str]:
    """Fields of ``case`` disclosed to ``user`` on a basis that still holds."""
    fields: set[str] = set()
    for disclosure in disclosures_to(user, case, on=on):
        fields |= set(disclosure.fields)
    return frozenset(fields)


def _disclosed_case_access(user: Any, case: Case) -> Decision:
    rows = disclosures_to(user, case)
    if not rows:
        return DENY
    identified = [r for r in rows if r.level == DisclosureLevel.IDENTIFIED]
    basis = (identified or rows)[0].basis_code
    if case.erased_at is not None:
        return Decision(Level.ANONYMISED, frozenset(), basis)
    fields = frozenset(f for r in rows for f in r.fields)
    if case.protected_identity:
        # Even a disclosure recorded with identity shows none of it outside the owning unit.
        return Decision(Level.ANONYMISED, fields & CONTENT_FIELDS, basis, flagged=True)
    if not identified:
        return Decision(Level.ANONYMISED, fields & CONTENT_FIELDS, basis)
    return Decision(Level.IDENTIFIED, fields, basis)


def _notified_case_access(user: Any, case: Case) -> Decision:
    """A recipient's notifications name the case by reference only."""
    rows = disclosures_to(user, case)
    if not rows:
        return DENY
    return Decision(Level.ANONYMISED, frozenset(), rows[0].basis_code)


_CONTEXT_LABELS = {
    "presentation": "ärendedragning",
    "referral": "remiss",
    "message": "meddelande",
    "export": "export",
}


def _purpose_label(code: str) -> str:
    return str(PurposeCode(code).label) if code in PurposeCode.values else code


def _kind_label(kind: str) -> str:
    return str(AgencyKind(kind).label) if kind in AgencyKind.values else kind


def _category_labels(fields: Iterable[str]) -> str:
    return ", ".join(str(InformationCategory(c).label) for c in categories_of(fields))


def _recipient_agencies(recipient: Agency | Unit | Forum) -> list[Agency]:
    if isinstance(recipient, Agency):
        return [recipient]
    if isinstance(recipient, Unit):
        return [recipient.agency]
    return list(Agency.objects.filter(units__forums=recipient).distinct().order_by("name"))


def may_see_consents(user: Any, case: Case) -> bool:
    """The consents of a case are for the people who work with it."""
    return works_on_case(user, case)


def may_disclose(
    user: Any,
    case: Case,
    recipient: Agency | Unit | Forum,
    basis: LegalBasis,
    fields: Iterable[str],
    *,
    context: Context = Context.REFERRAL,
    on: dt.date | None = None,
) -> Decision | Refusal:
    """May ``user`` disclose ``fields`` of ``case`` to ``recipient`` on ``basis``?

    The answer is a Decision (level, fields, basis, and the consent relied on) or a
    Refusal saying, in Swedish, what is missing. A person still decides each disclosure:
    this only says whether the decision would be lawful by the catalogue.
    """
    wanted = frozenset(fields)
    if not works_on_case(user, case):
        return Refusal("not_found", _("Finns inte, eller så saknar du behörighet."))
    if case.erased_at is not None:
        return Refusal("case_erased", _("Ärendet är gallrat; inget kan lämnas ut."))
    if not basis.active:
        return Refusal(
            "basis_inactive",
            _("Rättslig grund %(basis)s används inte längre.") % {"basis": basis.title},
        )
    if not wanted:
        return Refusal("no_fields", _("Välj vilka uppgifter som ska lämnas ut."))
    if wanted - ALL_FIELDS:
        return Refusal("unknown_fields", _("Okända uppgifter kan inte lämnas ut."))
    if isinstance(recipient, Unit) and recipient.pk == case.owning_unit_id:
        return Refusal(
            "own_unit", _("Mottagaren är ärendets egen enhet; inget lämnas ut över en gräns.")
        )
    agencies = _recipient_agencies(recipient)
    if not agencies:
        return Refusal("no_recipient", _("Forumet har inga deltagande enheter."))
    refusal = _basis_refusal(case, basis, agencies, wanted)
    if refusal is not None:
        return refusal
    if case.protected_identity and wanted & IDENTITY_FIELDS:
        return Refusal(
            "protected_identity",
            _(
                "Ärendet har skyddade personuppgifter: identitetsuppgifter lämnar aldrig "
                "den ägande enheten."
            ),
        )
    level = Level.ANONYMISED if basis.level == DisclosureLevel.ANONYMISED else Level.IDENTIFIED
    consent_id = ""
    if basis.requires_consent:
        found = _covering_consent(case, recipient, agencies, wanted, context, _today(on))
        if isinstance(found, Refusal):
            return found
        consent_id = str(found.pk)
    return Decision(level, wanted, basis.code, case.protected_identity, consent_id)


def _basis_refusal(
    case: Case, basis: LegalBasis, agencies: list[Agency], wanted: frozenset[str]
) -> Refusal | None:
    """What the catalogue entry itself does not allow, or None."""
    sender = case.owning_unit.agency
    for agency in agencies:
        direction = {
            "basis": basis.title,
            "sender": _kind_label(sender.kind),
            "recipient": _kind_label(agency.kind),
        }
        message = _("Rättslig grund %(basis)s gäller inte från %(sender)s till %(recipient)s.")
        if sender.kind not in basis.sender_kinds:
            return Refusal("basis_direction", message % direction)
        if agency.kind not in basis.recipient_kinds:
            return Refusal("basis_direction", message % direction)
        if basis.same_agency_only and agency.pk != sender.pk:
            return Refusal(
                "basis_same_agency",
                _("Rättslig grund %(basis)s gäller bara inom samma myndighet.")
                % {"basis": basis.title},
            )
    allowed = _basis_fields(basis)
    if wanted - allowed:
        return Refusal(
            "basis_fields",
            _("Rättslig grund %(basis)s omfattar inte: %(categories)s.")
            % {"basis": basis.title, "categories": _category_labels(wanted - allowed)},
        )
    if basis.level == DisclosureLevel.ANONYMISED and wanted & IDENTITY_FIELDS:
        return Refusal(
            "anonymised_identity",
            _("Avidentifierade uppgifter får inte innehålla: %(categories)s.")
            % {"categories": _category_labels(wanted & IDENTITY_FIELDS)},
        )
    return None


def _basis_fields(basis: LegalBasis) -> frozenset[str]:
    if not basis.categories:
        return ALL_FIELDS
    covered: set[str] = set()
    for category in basis.categories:
        covered |= CATEGORY_FIELDS.get(str(category), frozenset())
    return frozenset(covered)


def _covering_consent(
    case: Case,
    recipient: Agency | Unit | Forum,
    agencies: list[Agency],
    wanted: frozenset[str],
    context: Context,
    today: dt.date,
) -> Consent | Refusal:
    """A consent that covers this disclosure, or the refusal of the nearest miss.

    Each consent is checked step by step; when none passes, the one that got furthest
    explains what is missing (the newest one if several got as far).
    """
    consents = list(Consent.objects.filter(case=case).order_by("-recorded_at"))
    if not consents:
        return Refusal("consent_missing", _("Det finns inget samtycke i ärendet."))
    nearest: tuple[int, Refusal] | None = None
    for consent in consents:
        outcome = _consent_check(consent, recipient, agencies, wanted, context, today)
        if outcome is None:
            return consent
        if nearest is None or outcome[0] > nearest[0]:
            nearest = outcome
    assert nearest is not None
    return nearest[1]


def _consent_check(
    consent: Consent,
    recipient: Agency | Unit | Forum,
    agencies: list[Agency],
    wanted: frozenset[str],
    context: Context,
    today: dt.date,
) -> tuple[int, Refusal] | None:
    status = consent.status(today)
    if status is ConsentStatus.REVOKED:
        assert consent.revoked_at is not None
        revoked_on = timezone.localdate(consent.revoked_at).isoformat()
        return 0, Refusal(
            "consent_revoked", _("Samtycket återkallades %(date)s.") % {"date": revoked_on}
        )
    if status is ConsentStatus.PENDING:
        return 1, Refusal(
            "consent_pending",
            _("Samtycket gäller först från %(date)s.") % {"date": consent.valid_from.isoformat()},
        )
    if status is ConsentStatus.EXPIRED:
        return 2, Refusal(
            "consent_expired",
            _("Samtycket har gått ut (det gällde till och med %(date)s).")
            % {"date": consent.valid_to.isoformat()},
        )
    missing = _consent_missing_recipient(consent, recipient, agencies)
    if missing is not None:
        return 3, Refusal(
            "consent_recipient", _("Samtycket omfattar inte %(name)s.") % {"name": missing}
        )
    if wanted - consent.fields:
        return 4, Refusal(
            "consent_category",
            _("Samtycket omfattar inte uppgifterna: %(categories)s.")
            % {"categories": _category_labels(wanted - consent.fields)},
        )
    if str(context) not in PURPOSE_CONTEXTS.get(consent.purpose_code, frozenset()):
        return 5, Refusal(
            "consent_purpose",
            _("Samtycket gäller %(purpose)s, inte %(context)s.")
            % {
                "purpose": _purpose_label(consent.purpose_code),
                "context": _CONTEXT_LABELS.get(str(context), str(context)),
            },
        )
    return None


def _consent_missing_recipient(
    consent: Consent, recipient: Agency | Unit | Forum, agencies: list[Agency]
) -> str | None:
    """The recipient the consent does not name, or None when it names them all."""
    if isinstance(recipient, Forum):
        if consent.recipient_forums.filter(pk=recipient.pk).exists():
            return None
        return recipient.name
    named = set(consent.recipient_agencies.values_list("pk", flat=True))
    for agency in agencies:
        if agency.pk not in named:
            return agency.name
    return None


# Styrgrupp meetings (DESIGN.md §2.1): who convenes, runs, records and follows up.


def may_convene(user: Any, case: Case) -> bool:
    """A styrgrupp about a case is convened by the people who work with the case."""
    return may_change_case(user, case)


def may_manage_meeting(user: Any, meeting: Meeting) -> bool:
    """Opening and closing a meeting: its convener, or someone who works with its case."""
    if not _active(user):
        return False
    if meeting.convened_by_id == user.pk:
        return True
    if meeting.case is None:
        return False
    return works_on_case(user, meeting.case)


def may_record_action(user: Any, meeting: Meeting) -> bool:
    """Every participant records their section's responsibility and decisions."""
    if may_manage_meeting(user, meeting):
        return True
    return may_join_meeting(user, meeting)


def may_follow_action(user: Any, action: Any) -> bool:
    """An action's text and its completion: the owner, the owning section's leads, the
    person who recorded it and the people who work with the case."""
    if not _active(user):
        return False
    if action.owner_person_id == user.pk:
        return True
    if action.created_by_id == user.pk:
        return True
    if leads_unit(user, action.owner_unit):
        return True
    return works_on_case(user, action.case)


def followed_up_municipalities(user: Any) -> QuerySet[Any]:
    """The municipalities whose meeting statistics ``user`` follows up (as coordinator)."""
    from coordination.models import Municipality

    if not _active(user):
        return Municipality.objects.none()
    return Municipality.objects.filter(
        agencies__units__memberships__user=user,
        agencies__units__memberships__role=Role.COORDINATOR,
    ).distinct()


def may_configure_routine(user: Any, municipality: Any) -> bool:
    """A municipality's routines are kept by its coordinators (and administrators)."""
    if may_administer(user):
        return True
    return followed_up_municipalities(user).filter(pk=municipality.pk).exists()


# -- audit ---------------------------------------------------------------------------------


def audited_agency_ids(user: Any) -> set[Any]:
    """The agencies whose audit trail this person reviews: where they hold the auditor role.

    An auditor sees entries about their own agencies' cases (and entries without a case
    written by their agencies' staff), never another agency's: that a case exists
    elsewhere is itself covered by secrecy.
    """
    if not _active(user):
        return set()
    return set(
        Membership.objects.filter(user=user, role=Role.AUDITOR).values_list(
            "unit__agency_id", flat=True
        )
    )


def may_audit(user: Any) -> bool:
    return bool(audited_agency_ids(user))


def may_audit_agency(user: Any, agency_id: Any) -> bool:
    return agency_id in audited_agency_ids(user)


def had_role_in_case(user: Any, case: Case) -> bool:
    """Officer of the case, or lead / deputy / section lead of its owning unit.

    Asked by the access-log review about past accesses, so a person who has since been
    deactivated still counts as having had the role.
    """
    if user is None or not user.is_authenticated:
        return False
    if case.officers.filter(pk=user.pk).exists():
        return True
    unit = case.owning_unit
    if unit.lead_id == user.pk:
        return True
    if unit.deputies.filter(pk=user.pk).exists():
        return True
    return Role.SECTION_LEAD in _roles(user, unit)


# ===========================================================================================
# The konsultativ grupp, referrals and concern reports (DESIGN.md §2.2).
# Kept together here so that every access question of those workflows is answered in
# this module like all others.
# ===========================================================================================

_HANDLING_ROLES = (Role.CASE_OFFICER, Role.SECTION_LEAD)
_SITTING_ROLES = (Role.FORUM_MEMBER, Role.SECTION_LEAD, Role.CASE_OFFICER)


def forum_units_of(user: Any, forum: Forum) -> QuerySet[Unit]:
    """The forum's member units in which ``user`` works (and so may speak for)."""
    if not _active(user):
        return Unit.objects.none()
    return (
        forum.member_units.filter(memberships__user=user, memberships__role__in=_SITTING_ROLES)
        .select_related("agency")
        .distinct()
        .order_by("agency__name", "name")
    )


def may_see_forum(user: Any, forum: Forum) -> bool:
    """A forum's agenda is for its members and for the case officers of its agencies
    (who book cases on it). The agenda names no case that is presented anonymised."""
    if not _active(user):
        return False
    if forum.internal:
        return False  # internal forums (the styrgrupp) are convened per case instead
    if forum_units_of(user, forum).exists():
        return True
    return Membership.objects.filter(
        user=user,
        role__in=_HANDLING_ROLES,
        unit__agency__units__in=forum.member_units.all(),
    ).exists()


def may_book_slot(user: Any, forum: Forum, case: Case) -> bool:
    """A person who works on the case, if the case's agency takes part in the forum."""
    if forum.internal:
        return False
    if not may_change_case(user, case):
        return False
    return forum.member_units.filter(agency_id=case.owning_unit.agency_id).exists()


def presentation_decision(
    user: Any, presentation: Presentation, disclosed_fields: Iterable[str] | None
) -> Decision:
    """What ``user`` may see of a presented case, in the presentation's meeting.

    For a consented presentation the answer is narrowed to the fields the presenter
    disclosed (recorded in the presentation's Disclosure): a consent that covers more
    does not by itself put more on the table.
    """
    decision = case_access(
        user, presentation.case, Context.PRESENTATION, meeting=presentation.meeting
    )
    if decision.basis != Basis.CONSENT:
        return decision
    if disclosed_fields is None:
        return DENY
    fields = decision.fields & frozenset(disclosed_fields)
    if not fields:
        return DENY
    return Decision(decision.level, fields, decision.basis, decision.flagged, decision.consent_id)


def may_record_support(user: Any, meeting: Meeting, unit: Unit) -> bool:
    """A participant records support on behalf of a member unit they work in."""
    if not may_join_meeting(user, meeting):
        return False
    return forum_units_of(user, meeting.forum).filter(pk=unit.pk).exists()


def may_follow_feedback(user: Any, feedback: Any) -> bool:
    """The återkoppling is the presenting officer's; the case's people may help with it."""
    if not _active(user):
        return False
    if feedback.officer_id == user.pk:
        return True
    return works_on_case(user, feedback.case)


def referral_units(referral: Any) -> QuerySet[Unit]:
    """The units that receive a referral: the named unit, or every unit of the agency."""
    if referral.to_unit_id is not None:
        return Unit.objects.filter(pk=referral.to_unit_id)
    return Unit.objects.filter(agency_id=referral.to_agency_id)


def receives_referral(user: Any, referral: Any) -> bool:
    """Whether ``user`` handles referrals for the receiving unit (officer or lead)."""
    if not _active(user):
        return False
    units = referral_units(referral)
    if Membership.objects.filter(user=user, unit__in=units, role__in=_HANDLING_ROLES).exists():
        return True
    return units.filter(Q(lead=user) | Q(deputies=user)).exists()


def referral_side(user: Any, referral: Any) -> str:
    """ "sender" for the people who work on the case, "receiver" for the receiving unit's
    officers and leads, "" for everybody else (who get the same answer as for nothing)."""
    if works_on_case(user, referral.case):
        return "sender"
    if receives_referral(user, referral):
        return "receiver"
    return ""


def may_answer_referral(user: Any, referral: Any) -> bool:
    """Accepting, declining and reporting the outcome: the receiving side only."""
    return receives_referral(user, referral)


def referral_case_access(user: Any, referral: Any) -> Decision:
    """What the receiving side sees of the referred case: what this referral disclosed,
    while its basis still holds (a revoked consent takes it away at once)."""
    if not receives_referral(user, referral):
        return DENY
    disclosure = referral.disclosure
    if not disclosure_still_holds(disclosure):
        return DENY
    decision = case_access(user, referral.case, Context.REFERRAL)
    if not decision.allowed:
        return DENY
    fields = decision.fields & frozenset(disclosure.fields)
    return Decision(decision.level, fields, disclosure.basis_code, decision.flagged)


def concern_reporting_units(user: Any, basis: LegalBasis) -> QuerySet[Unit]:
    """Units from which ``user`` may make a concern report: where they work (not as
    auditor or administrator) in an agency the basis lets report."""
    if not _active(user) or not basis.active:
        return Unit.objects.none()
    return (
        Unit.objects.filter(
            memberships__user=user,
            memberships__role__in=[Role.CASE_OFFICER, Role.SECTION_LEAD, Role.FORUM_MEMBER],
            agency__kind__in=list(basis.sender_kinds),
        )
        .select_related("agency")
        .distinct()
        .order_by("agency__name", "name")
    )


def concern_report_refusal(
    user: Any, reporter_unit: Unit, receiving_unit: Unit, basis: LegalBasis
) -> Refusal | None:
    """Why ``user`` may not report from ``reporter_unit`` to ``receiving_unit``, or None."""
    if not concern_reporting_units(user, basis).filter(pk=reporter_unit.pk).exists():
        return Refusal(
            "concern_not_reporter",
            _("Du kan inte göra en orosanmälan för den enheten."),
        )
    if receiving_unit.agency.kind not in basis.recipient_kinds:
        return Refusal(
            "basis_direction",
            _("Rättslig grund %(basis)s gäller inte till %(recipient)s.")
            % {"basis": basis.title, "recipient": _kind_label(receiving_unit.agency.kind)},
        )
    if receiving_unit.pk == reporter_unit.pk:
        return Refusal("own_unit", _("Anmälan kan inte skickas till den egna enheten."))
    return None


def handles_concern_reports(user: Any, unit: Unit) -> bool:
    """Officers and leads of the receiving unit handle its concern reports."""
    if not _active(user):
        return False
    if leads_unit(user, unit):
        return True
    return Role.CASE_OFFICER in _roles(user, unit)


def concern_report_side(user: Any, report: Any) -> str:
    """ "receiver" (the receiving unit's officers and leads), "reporter" (the person who
    reported, who sees receipt and outcome but never the case), or ""."""
    if not _active(user):
        return ""
    if handles_concern_reports(user, report.receiving_unit):
        return "receiver"
    if report.reporter_id == user.pk:
        return "reporter"
    return ""


# ===========================================================================================
# The most sensitive operations (erasure, key rotation, the audit export) ask for a fresh
# re-authentication on top of the role, and the full audit export for the widest role.
# ===========================================================================================

REAUTH_SESSION_KEY = "samverka_reauth_at"


def reauthenticated_recently(session: Any, *, now: float | None = None) -> bool:
    """Whether the session's person gave their password (and code) again within the last
    ``SAMVERKA_REAUTH_SECONDS`` (five minutes)."""
    import time

    from django.conf import settings

    at = session.get(REAUTH_SESSION_KEY) if session is not None else None
    if not isinstance(at, int | float) or isinstance(at, bool):
        return False
    age = (time.time() if now is None else now) - at
    return 0 <= age <= getattr(settings, "SAMVERKA_REAUTH_SECONDS", 300)


def may_rotate_keys(user: Any) -> bool:
    return may_administer(user)


def may_export_audit_trail(user: Any) -> bool:
    """The full export holds every agency's entries (case references, who did what), so
    the console offers it only to a person who audits every agency of the installation."""
    audited = audited_agency_ids(user)
    if not audited:
        return False
    return not Agency.objects.exclude(pk__in=audited).exists()


# ===========================================================================================
# Statistics, the client's overview ("vem vet vad, vem gör vad") and the year's agenda.
# ===========================================================================================


def statistics_municipalities(user: Any) -> QuerySet[Any]:
    """Municipalities whose monthly figures ``user`` may follow: their coordinators'
    (administrators: all). The figures are protected against small counts whoever reads
    them (coordination.statistics), but a municipality's detail is its own business."""
    from coordination.models import Municipality

    if not _active(user):
        return Municipality.objects.none()
    if may_administer(user):
        return Municipality.objects.all()
    return followed_up_municipalities(user)


def may_see_statistics(user: Any, municipality: Any = None) -> bool:
    """The county's figures: every coordinator; a municipality's: its own coordinators."""
    if not _active(user):
        return False
    if municipality is None:
        if may_administer(user):
            return True
        return Membership.objects.filter(user=user, role=Role.COORDINATOR).exists()
    return statistics_municipalities(user).filter(pk=municipality.pk).exists()


def may_see_case_overview(user: Any, case: Case) -> bool:
    """Who knows what and who does what is printed for the client by the people who work
    with the case (the owning unit), never by a recipient."""
    return works_on_case(user, case)


def may_record_case_facts(user: Any, case: Case) -> bool:
    """The counts for the statistics are kept by the people who work with the case."""
    return may_change_case(user, case)


def may_plan_training(user: Any, municipality: Any) -> bool:
    """A municipality's training events: its coordinators; county-wide ones: administrators."""
    if municipality is None:
        return may_administer(user)
    return may_configure_routine(user, municipality)


def may_move_meeting(user: Any, meeting: Meeting) -> bool:
    """A same-day meeting is moved by whoever runs it; a forum's scheduled occurrence by
    the coordinators of the forum's municipality."""
    if not _active(user):
        return False
    if meeting.ad_hoc:
        return may_manage_meeting(user, meeting)
    if may_administer(user):
        return True
    municipality = meeting.forum.municipality
    return municipality is not None and may_configure_routine(user, municipality)


def calendar_meetings(user: Any) -> QuerySet[Meeting]:
    """Meetings in a person's own calendar: those they are called to (and have not
    declined or passed on), and the scheduled occurrences of forums they sit in."""
    if not _active(user):
        return Meeting.objects.none()
    called = Invitation.objects.filter(person=user).exclude(
        answer__in=[InvitationAnswer.DECLINED, InvitationAnswer.DELEGATED]
    )
    sitting = Forum.objects.filter(
        member_units__memberships__user=user,
        member_units__memberships__role__in=[Role.FORUM_MEMBER, Role.SECTION_LEAD],
    )
    return Meeting.objects.filter(
        Q(pk__in=called.values("meeting_id")) | Q(ad_hoc=False, forum__in=sitting.values("pk"))
    ).distinct()


def agenda_municipality_ids(user: Any) -> set[Any]:
    """The municipalities whose year's agenda a person sees: where their agencies are,
    and where the forums their units sit in meet."""
    if not _active(user):
        return set()
    own = set(
        Membership.objects.filter(user=user, unit__agency__municipality__isnull=False).values_list(
            "unit__agency__municipality_id", flat=True
        )
    )
    forums = set(
        Forum.objects.filter(
            member_units__memberships__user=user, municipality__isnull=False
        ).values_list("municipality_id", flat=True)
    )
    return own | forums
