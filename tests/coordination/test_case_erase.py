import pytest

from audit.models import AuditEvent
from coordination import selectors, services, vault
from coordination.errors import CaseErasedError, Forbidden, NotFound
from coordination.models import Case, IdentityField, PersonIndex
from tests.fixtures import Org, hours_ago


def test_lead_erases_case_and_every_ciphertext_becomes_unreadable(org: Org, case) -> None:
    services.incident_register(
        actor=org.user("officer"),
        case=case,
        kind="threat",
        occurred_at=hours_ago(1),
        description="Hotet kom via sms.",
    )
    wrapped = bytes(case.wrapped_data_key)
    key_id = case.data_key_id
    data_key = vault.unwrap_data_key(str(case.id), wrapped, key_id)

    services.case_erase(actor=org.user("lead"), case=case, reason="Gallringsfrist har löpt ut")

    case.refresh_from_db()
    assert case.erased_at is not None
    assert case.wrapped_data_key is None
    assert not PersonIndex.objects.filter(case=case).exists()
    # The ciphertexts remain, but nothing in the system can open them any more.
    assert IdentityField.objects.filter(case=case).exists()
    with pytest.raises(vault.CaseErased):
        vault.unwrap_data_key(str(case.id), case.wrapped_data_key, case.data_key_id)
    # (Only the destroyed key would have opened them.)
    row = IdentityField.objects.filter(case=case, name="name").get()
    assert vault.decrypt_value(data_key, str(case.id), "name", row.ciphertext) == "Lina Andersson"

    view = selectors.case_detail(user=org.user("officer"), case_id=case.id)
    assert view.erased and view.identity == {} and view.incidents == []
    entry = AuditEvent.objects.get(action="case.erased")
    assert entry.case_ref == case.reference
    assert (
        selectors.case_find_by_identity_number(user=org.user("officer"), number="8506122384") == []
    )


def test_officer_may_not_erase_and_outsider_gets_not_found(org: Org, case) -> None:
    with pytest.raises(Forbidden):
        services.case_erase(actor=org.user("officer"), case=case, reason="x")
    with pytest.raises(NotFound):
        services.case_erase(actor=org.user("norr_officer"), case=case, reason="x")
    case.refresh_from_db()
    assert case.erased_at is None and case.wrapped_data_key


def test_erased_case_cannot_be_changed_or_erased_again(org: Org, case) -> None:
    services.case_erase(actor=org.user("lead"), case=case, reason="Gallring")
    with pytest.raises(CaseErasedError):
        services.case_erase(actor=org.user("lead"), case=Case.objects.get(pk=case.pk), reason="x")
    with pytest.raises(CaseErasedError):
        services.incident_register(
            actor=org.user("officer"), case=case, kind="threat", occurred_at=hours_ago(1)
        )
