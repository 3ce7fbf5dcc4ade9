"""The disclosure policy: the one place that decides who may see or do what.

Every view, serializer, consumer, selector, export and notification asks here. The
answers never reveal whether a case exists to someone who may not see it.

Secrecy (OSL 8 kap) applies at every boundary between agencies and between units of
one agency, so the default is that nothing crosses. Within the owning unit, the case's
assigned officers and the unit's lead and deputies work with the case.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from coordination.models import (
    Case,
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


class Basis(enum.StrEnum):
    """Why a person may see a case (codes recorded in the audit trail)."""

    OWNING_UNIT = "owning_unit"  # works with the case in the unit that owns it
    SAME_AUTHORITY = "same_authority"  # internal forum of the owning authority (styrgrupp)
    ANONYMISED = "anonymised"  # nobody outside the owning unit can tell who it is


@dataclass(frozen=True)
class Decision:
    level: Level
    fields: frozenset[str] = frozenset()
    basis: str = ""
    flagged: bool = False  # access to a protected identity, for the access-log review

    @property
    def allowed(self) -> bool:
        return self.level is not Level.NONE


DENY = Decision(Level.NONE)


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _roles(user: Any, unit: Unit) -> set[str]:
    return set(Membership.objects.filter(user=user, unit=unit).values_list("role", flat=True))


def leads_unit(user: Any, unit: Unit) -> bool:
    if not _active(user):
        return False
    if unit.lead_id == user.pk:
        return True
    if unit.deputies.filter(pk=user.pk).exists():
        return True
    return Role.SECTION_LEAD in _roles(user, unit)


def works_on_case(user: Any, case: Case) -> bool:
    """Assigned officer of the case, or lead / deputy of its owning unit."""
    if not _active(user):
        return False
    if case.officers.filter(pk=user.pk).exists():
        return True
    return leads_unit(user, case.owning_unit)


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
    if not works_on_case(user, case):
        if meeting is None:
            return DENY
        return _presented_case_access(user, case, meeting)
    if case.erased_at is not None:
        return Decision(Level.ANONYMISED, frozenset(), Basis.OWNING_UNIT)
    if context is Context.SEARCH and case.protected_identity:
        return DENY
    if context is Context.NOTIFICATION and case.protected_identity:
        return Decision(Level.ANONYMISED, frozenset(), Basis.OWNING_UNIT, flagged=True)
    return Decision(
        Level.IDENTIFIED, IDENTITY_FIELDS, Basis.OWNING_UNIT, flagged=case.protected_identity
    )


def visible_cases(user: Any) -> QuerySet[Case]:
    """The cases ``user`` may see at all (the same rule as ``case_access``)."""
    if not _active(user):
        return Case.objects.none()
    led_units = Unit.objects.filter(
        Q(lead=user)
        | Q(deputies=user)
        | Q(memberships__user=user, memberships__role=Role.SECTION_LEAD)
    )
    return (
        Case.objects.filter(Q(officers=user) | Q(owning_unit__in=led_units))
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
        return Decision(Level.IDENTIFIED, IDENTITY_FIELDS - ADDRESS_FIELDS, Basis.SAME_AUTHORITY)
    if mode == PresentationMode.ANONYMISED:
        return Decision(
            Level.ANONYMISED, frozenset(), Basis.ANONYMISED, flagged=case.protected_identity
        )
    return DENY


def _same_authority(user: Any, case: Case) -> bool:
    return Membership.objects.filter(user=user, unit__agency_id=case.owning_unit.agency_id).exists()


def may_join_case_room(user: Any, case: Case) -> bool:
    """A case's own room is for the people who work with the case."""
    return case_access(user, case, Context.MESSAGE).allowed


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
