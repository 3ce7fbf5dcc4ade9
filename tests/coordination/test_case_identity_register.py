import pytest
from django.db import connection

from audit.models import AuditEvent
from coordination import selectors, services
from coordination.errors import Invalid, NotFound
from coordination.models import IdentityField, PersonIndex
from tests.fixtures import IDENTITY, Org, make_case


def test_identity_is_stored_encrypted_and_audited_without_values(org: Org) -> None:
    case = make_case(org)

    names = set(IdentityField.objects.filter(case=case).values_list("name", flat=True))
    assert names == set(IDENTITY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT ciphertext FROM coordination_identityfield")
        blobs = b"".join(bytes(row[0]) for row in cursor.fetchall())
    for secret in (b"Lina", b"Andersson", b"850612", b"Storgatan", b"lina.andersson"):
        assert secret not in blobs
    entry = AuditEvent.objects.get(action="case.identity_registered")
    assert entry.fields == sorted(IDENTITY)
    assert "Lina" not in str(entry.detail)


def test_values_are_normalised(org: Org) -> None:
    case = make_case(org)
    view = selectors.case_detail(user=org.user("officer"), case_id=case.id)
    assert view.identity["personnummer"] == "19850612-2384"
    assert view.identity["phone"] == "0701234567"
    assert view.identity["address"]["postal_code"] == "591 30"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("personnummer", "19850612-2385"),  # wrong check digit
        ("personnummer", "19851312-2384"),  # no 13th month
        ("phone", "12345"),
        ("email", "inte-en-adress"),
        ("address", {"street": "Storgatan 1", "postal_code": "59", "city": "Motala"}),
        ("children", [{"name": "Elsa", "personnummer": "20150822-0000"}]),
        ("shoe_size", "42"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_stored(org: Org, field: str, value) -> None:
    case = services.case_create(actor=org.user("officer"), unit=org.units["bou"])
    before = AuditEvent.objects.count()
    with pytest.raises(Invalid) as error:
        services.case_identity_register(
            actor=org.user("officer"), case=case, data={"name": "Lina", field: value}
        )
    assert error.value.message
    assert IdentityField.objects.filter(case=case).count() == 0
    assert AuditEvent.objects.count() == before


def test_samordningsnummer_is_accepted(org: Org) -> None:
    case = services.case_create(actor=org.user("officer"), unit=org.units["bou"])
    services.case_identity_register(
        actor=org.user("officer"), case=case, data={"personnummer": "701063-2391"}
    )
    view = selectors.case_detail(user=org.user("officer"), case_id=case.id)
    assert view.identity["personnummer"] == "19701063-2391"


def test_someone_outside_the_case_cannot_register_identity(org: Org) -> None:
    case = services.case_create(actor=org.user("officer"), unit=org.units["bou"])
    with pytest.raises(NotFound):
        services.case_identity_register(
            actor=org.user("norr_officer"), case=case, data={"name": "X"}
        )
    assert not IdentityField.objects.filter(case=case).exists()


def test_blind_index_finds_the_case_in_any_number_format(org: Org) -> None:
    case = make_case(org)
    assert PersonIndex.objects.filter(case=case).count() == 2  # client and child
    for spelling in ("19850612-2384", "850612-2384", "8506122384", "850612 2384"):
        found = selectors.case_find_by_identity_number(user=org.user("officer"), number=spelling)
        assert found == [case]
    digest = PersonIndex.objects.filter(case=case).values_list("digest", flat=True)
    assert all("850612" not in d for d in digest)


def test_blind_index_search_does_not_show_other_units_cases(org: Org) -> None:
    make_case(org)
    assert (
        selectors.case_find_by_identity_number(user=org.user("norr_officer"), number="8506122384")
        == []
    )


def test_protected_identity_never_appears_in_search(org: Org) -> None:
    make_case(org, protected=True)
    assert (
        selectors.case_find_by_identity_number(user=org.user("officer"), number="8506122384") == []
    )
