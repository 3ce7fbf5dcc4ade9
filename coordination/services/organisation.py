"""Organisation changes: municipalities, agencies, units, people and their roles.

``actor=None`` means the system itself (setup and demo loading from the command line);
every change is audited either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from audit.services import record
from consent import policy
from coordination.errors import Forbidden
from coordination.models import Agency, Membership, Municipality, Role, Unit
from realtime.publish import access_changed_on_commit

User = get_user_model()


def _require_admin(actor: Any) -> None:
    if actor is not None and not policy.may_administer(actor):
        raise Forbidden()


@transaction.atomic
def municipality_upsert(*, actor: Any, code: str, name: str, county_part: str) -> Municipality:
    _require_admin(actor)
    municipality = Municipality.objects.filter(code=code).first() or Municipality(code=code)
    municipality.name = name
    municipality.county_part = county_part or ""
    municipality.full_clean()
    municipality.save()
    record(actor=actor, action="municipality.saved", detail={"code": code, "name": name})
    return municipality


@transaction.atomic
def agency_create(*, actor: Any, name: str, kind: str, municipality: Municipality | None) -> Agency:
    _require_admin(actor)
    agency = Agency(name=name, kind=kind, municipality=municipality)
    agency.full_clean()
    agency.save(force_insert=True)
    record(actor=actor, action="agency.created", detail={"agency": name, "kind": kind})
    return agency


@transaction.atomic
def unit_create(*, actor: Any, agency: Agency, name: str) -> Unit:
    _require_admin(actor)
    unit = Unit(agency=agency, name=name)
    unit.full_clean()
    unit.save(force_insert=True)
    record(actor=actor, action="unit.created", detail={"agency": agency.name, "unit": name})
    return unit


@transaction.atomic
def unit_set_leads(*, actor: Any, unit: Unit, lead: Any, deputies: Iterable[Any] = ()) -> Unit:
    _require_admin(actor)
    deputies = list(deputies)
    # Whoever led the unit before may lose access to its cases.
    previous = [unit.lead_id, *unit.deputies.values_list("pk", flat=True)]
    unit.lead = lead
    unit.full_clean()
    unit.save(update_fields=["lead"])
    unit.deputies.set(deputies)
    record(
        actor=actor,
        action="unit.leads_set",
        unit=unit,
        detail={
            "unit": unit.name,
            "lead": lead.get_username() if lead else "",
            "deputies": sorted(d.get_username() for d in deputies),
        },
    )
    access_changed_on_commit([pk for pk in previous if pk is not None])
    return unit


@transaction.atomic
def user_create(
    *, actor: Any, username: str, first_name: str, last_name: str, email: str, password: str
) -> Any:
    _require_admin(actor)
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    user.set_password(password)
    user.full_clean()
    user.save()
    record(actor=actor, action="user.created", detail={"username": username})
    return user


@transaction.atomic
def user_deactivate(*, actor: Any, user: Any, reason: str) -> Any:
    """Disable the account: its sessions are deleted and, once committed, its open
    connections are told to check their access again (they close with 4403)."""
    from coordination.services.accounts import user_sessions_end

    _require_admin(actor)
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = user_sessions_end(user)
    record(
        actor=actor,
        action="user.deactivated",
        detail={"username": user.get_username(), "reason": reason, "sessions_ended": ended},
    )
    access_changed_on_commit([user.pk])
    return user


@transaction.atomic
def membership_grant(*, actor: Any, user: Any, unit: Unit, role: Role | str) -> Membership:
    _require_admin(actor)
    membership, _created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    record(
        actor=actor,
        action="membership.granted",
        unit=unit,
        detail={"username": user.get_username(), "unit": unit.name, "role": str(role)},
    )
    return membership


@transaction.atomic
def membership_revoke(*, actor: Any, user: Any, unit: Unit, role: Role | str) -> None:
    _require_admin(actor)
    deleted, _ = Membership.objects.filter(user=user, unit=unit, role=role).delete()
    record(
        actor=actor,
        action="membership.revoked",
        unit=unit,
        detail={
            "username": user.get_username(),
            "unit": unit.name,
            "role": str(role),
            "existed": bool(deleted),
        },
    )
    access_changed_on_commit([user.pk])
