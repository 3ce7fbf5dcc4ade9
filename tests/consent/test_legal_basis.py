"""The catalogue of legal bases: seeded with statute references, edited only by
administrators (service and admin), every edit audited."""

# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from consent import services
from consent.models import LegalBasis
from coordination.errors import Forbidden, Invalid

# The module-wide organisation fixtures; the tests' ``org`` parameters are these fixtures.
from tests.consent.module_org import _module_org, org  # noqa: F401
from tests.fixtures import PASSWORD, Org

SEEDED = {
    "consent": "OSL 12 kap. 2 §",
    "same_authority": "OSL 8 kap. 1–2 §§",
    "necessary_disclosure": "OSL 10 kap. 2 §",
    "police_prevent_violence": "OSL 10 kap. 18 c §",
    "police_crime_suspicion": "OSL 10 kap. 21–23 §§",
    "health_to_social_child": "OSL 25 kap. 12 §",
    "social_to_health_child": "OSL 26 kap. 9 §",
    "anonymised": "OSL 25 kap. 1 §, 26 kap. 1 § (uppgiften kan inte knytas till en enskild)",
}


@pytest.mark.django_db
def test_catalogue_is_seeded_with_statute_references() -> None:
    bases = {b.code: b for b in LegalBasis.objects.all()}
    for code, statute in SEEDED.items():
        assert bases[code].statute_reference == statute
        assert bases[code].active
    report = bases["child_concern_report"]
    assert "Socialtjänstlagen (2025:400) 19 kap. 1 §" in report.statute_reference
    assert report.recipient_kinds == ["social_services"] and "school" in report.sender_kinds
    assert bases["consent"].requires_consent
    assert not any(b.requires_consent for c, b in bases.items() if c != "consent")
    assert bases["anonymised"].level == "anonymised"
    assert bases["same_authority"].same_agency_only
    assert bases["police_prevent_violence"].recipient_kinds == ["police"]
    assert bases["necessary_disclosure"].client_must_be_informed


def test_admin_creates_a_basis_with_an_audit_entry(org: Org) -> None:
    basis = services.legal_basis_create(
        actor=org.user("admin"),
        code="victim_support_referral",
        title="Till brottsofferjouren med samtycke",
        statute_reference="OSL 12 kap. 2 §",
        sender_kinds=["police", "social_services"],
        recipient_kinds=["victim_support"],
        level="identified",
        requires_consent=True,
    )
    assert basis.sender_kinds == ["social_services", "police"]  # the catalogue's order
    entry = AuditEvent.objects.get(action="legal_basis.created")
    assert entry.actor == "admin" and entry.legal_basis == "victim_support_referral"
    assert entry.detail["recipient_kinds"] == ["victim_support"]
    assert entry.detail["requires_consent"] is True


def test_admin_updates_and_only_changes_are_audited(org: Org) -> None:
    basis = LegalBasis.objects.get(code="child_concern_report")
    services.legal_basis_update(
        actor=org.user("admin"),
        basis=basis,
        statute_reference="Socialtjänstlagen (2025:400) 19 kap. 1 §",
        active=True,
    )
    basis.refresh_from_db()
    assert basis.statute_reference == "Socialtjänstlagen (2025:400) 19 kap. 1 §"
    entry = AuditEvent.objects.get(action="legal_basis.updated")
    assert set(entry.detail["changes"]) == {"statute_reference"}
    # Nothing changed: nothing is written.
    services.legal_basis_update(actor=org.user("admin"), basis=basis, active=True)
    assert AuditEvent.objects.filter(action="legal_basis.updated").count() == 1


@pytest.mark.parametrize("who", ["officer", "lead", "auditor", "coordinator"])
def test_only_administrators_edit_the_catalogue(org: Org, who: str) -> None:
    before = AuditEvent.objects.count()
    basis = LegalBasis.objects.get(code="consent")
    with pytest.raises(Forbidden):
        services.legal_basis_update(actor=org.user(who), basis=basis, active=False)
    with pytest.raises(Forbidden):
        services.legal_basis_create(
            actor=org.user(who),
            code="x",
            title="x",
            statute_reference="x",
            sender_kinds=["school"],
            recipient_kinds=["school"],
            level="identified",
        )
    assert LegalBasis.objects.get(code="consent").active
    assert not LegalBasis.objects.filter(code="x").exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sender_kinds": []}, "sender_kinds"),
        ({"recipient_kinds": ["ministry_of_magic"]}, "recipient_kinds"),
        ({"categories": ["shoe_size"]}, "categories"),
        ({"level": "half"}, "level"),
        ({"title": " "}, "title"),
    ],
)
def test_invalid_catalogue_values_are_refused(org: Org, changes: dict, field: str) -> None:
    basis = LegalBasis.objects.get(code="consent")
    with pytest.raises(Invalid) as refused:
        services.legal_basis_update(actor=org.user("admin"), basis=basis, **changes)
    assert refused.value.detail["field"] == field
    assert not AuditEvent.objects.filter(action="legal_basis.updated").exists()


def test_unknown_fields_and_taken_codes_are_refused(org: Org) -> None:
    basis = LegalBasis.objects.get(code="consent")
    with pytest.raises(Invalid):
        services.legal_basis_update(actor=org.user("admin"), basis=basis, code="renamed")
    with pytest.raises(Invalid):
        services.legal_basis_create(
            actor=org.user("admin"),
            code="consent",
            title="x",
            statute_reference="x",
            sender_kinds=["school"],
            recipient_kinds=["school"],
            level="identified",
        )


def _admin_client(org: Org, who: str = "admin") -> Client:
    user = org.user(who)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    assert client.login(username=who, password=PASSWORD)
    return client


def _form(basis: LegalBasis, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": basis.title,
        "statute_reference": basis.statute_reference,
        "description": basis.description,
        "sender_kinds": basis.sender_kinds,
        "recipient_kinds": basis.recipient_kinds,
        "level": basis.level,
        "categories": basis.categories,
    }
    for flag in ("same_agency_only", "requires_consent", "client_must_be_informed", "active"):
        if getattr(basis, flag):
            data[flag] = "on"
    data.update(changes)
    return data


def test_admin_page_edits_through_the_service_and_is_audited(org: Org) -> None:
    client = _admin_client(org)
    basis = LegalBasis.objects.get(code="necessary_disclosure")
    url = reverse("admin:consent_legalbasis_change", args=[basis.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, _form(basis, statute_reference="OSL 10 kap. 2 § (ny lydelse)"))

    assert response.status_code == 302
    basis.refresh_from_db()
    assert basis.statute_reference == "OSL 10 kap. 2 § (ny lydelse)"
    entry = AuditEvent.objects.get(action="legal_basis.updated")
    assert entry.actor == "admin"
    assert entry.detail["changes"]["statute_reference"][1] == "OSL 10 kap. 2 § (ny lydelse)"


def test_admin_page_shows_service_validation_in_place(org: Org) -> None:
    client = _admin_client(org)
    basis = LegalBasis.objects.get(code="necessary_disclosure")
    url = reverse("admin:consent_legalbasis_change", args=[basis.pk])
    response = client.post(url, _form(basis, title="   "))
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="legal_basis.updated").exists()


def test_admin_page_adds_a_basis(org: Org) -> None:
    client = _admin_client(org)
    data = _form(
        LegalBasis(
            title="Till frivården",
            statute_reference="OSL 10 kap. 2 §",
            description="",
            sender_kinds=["social_services"],
            recipient_kinds=["probation"],
            level="identified",
            categories=[],
            active=True,
        ),
        code="to_probation",
    )
    response = client.post(reverse("admin:consent_legalbasis_add"), data)
    assert response.status_code == 302
    assert LegalBasis.objects.get(code="to_probation").recipient_kinds == ["probation"]
    assert AuditEvent.objects.get(action="legal_basis.created").actor == "admin"


def test_staff_without_the_admin_role_cannot_see_the_catalogue(org: Org) -> None:
    client = _admin_client(org, "coordinator")
    basis = LegalBasis.objects.get(code="consent")
    assert client.get(reverse("admin:consent_legalbasis_changelist")).status_code == 403
    url = reverse("admin:consent_legalbasis_change", args=[basis.pk])
    assert client.post(url, _form(basis, active="")).status_code == 403
    assert LegalBasis.objects.get(code="consent").active
