import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from coordination import selectors, vault
from coordination.models import Case, IdentityField
from tests.fixtures import Org, make_case


def _field(case: Case, name: str) -> IdentityField:
    return IdentityField.objects.get(case=case, name=name)


def _key(case: Case) -> bytes:
    case.refresh_from_db()
    return vault.unwrap_data_key(str(case.id), case.wrapped_data_key, case.data_key_id)


def test_round_trip(org: Org, case: Case) -> None:
    row = _field(case, "children")
    value = vault.decrypt_value(_key(case), str(case.id), "children", row.ciphertext)
    assert value == [{"name": "Elsa Andersson", "personnummer": "20150822-2385"}]


def test_a_changed_ciphertext_is_detected(org: Org, case: Case) -> None:
    row = _field(case, "name")
    sealed = bytearray(bytes(row.ciphertext))
    sealed[-5] ^= 0x01
    with pytest.raises(vault.VaultError):
        vault.decrypt_value(_key(case), str(case.id), "name", bytes(sealed))


def test_a_ciphertext_moved_to_another_field_does_not_open(org: Org, case: Case) -> None:
    row = _field(case, "name")
    with pytest.raises(vault.VaultError):
        vault.decrypt_value(_key(case), str(case.id), "school", row.ciphertext)


def test_a_ciphertext_moved_to_another_case_does_not_open(org: Org, case: Case) -> None:
    other = make_case(org, officer="colleague")
    row = _field(case, "name")
    # Even with the right key, the case id in the associated data must match.
    with pytest.raises(vault.VaultError):
        vault.decrypt_value(_key(case), str(other.id), "name", row.ciphertext)
    # And a row copied over in the database does not open under the other case's key.
    IdentityField.objects.filter(case=other, name="name").update(ciphertext=row.ciphertext)
    with pytest.raises(vault.VaultError):
        selectors.case_detail(user=org.user("colleague"), case_id=other.id)


def test_a_wrapped_key_moved_to_another_case_does_not_unwrap(org: Org, case: Case) -> None:
    other = make_case(org, officer="colleague")
    with pytest.raises(vault.VaultError):
        vault.unwrap_data_key(str(other.id), case.wrapped_data_key, case.data_key_id)


def test_rotation_rewraps_data_keys_without_touching_fields(org: Org, case: Case) -> None:
    before_fields = {r.name: bytes(r.ciphertext) for r in IdentityField.objects.filter(case=case)}
    before_key = _key(case)
    old_id = case.data_key_id

    call_command("rotate_kek")

    case.refresh_from_db()
    assert case.data_key_id != old_id
    assert case.data_key_id == vault.current_kek_id()
    assert _key(case) == before_key
    after_fields = {r.name: bytes(r.ciphertext) for r in IdentityField.objects.filter(case=case)}
    assert after_fields == before_fields
    view = selectors.case_detail(user=org.user("officer"), case_id=case.id)
    assert view.identity["name"] == "Lina Andersson"
    assert AuditEvent.objects.filter(action="vault.kek_rotated").exists()


def test_new_cases_after_rotation_use_the_new_key(org: Org) -> None:
    call_command("rotate_kek")
    case = make_case(org)
    assert case.data_key_id == vault.current_kek_id()


def test_rotation_rewraps_room_keys_too(org: Org) -> None:
    from realtime import keys
    from realtime.models import RoomKey

    room = "meeting:00000000-0000-0000-0000-000000000001"
    before = keys._room_key(room, create=True)
    row = RoomKey.objects.get(room=room)
    old_id = row.key_id

    call_command("rotate_kek")

    row.refresh_from_db()
    assert row.key_id != old_id and row.key_id == vault.current_kek_id()
    assert vault.unwrap_data_key(room, row.wrapped_key, row.key_id) == before
