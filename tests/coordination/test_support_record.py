import pytest

from audit.models import AuditEvent
from consent import services as consent_services
from consent.anonymiser.case_brief import IdentifierInMessage
from coordination import vault
from coordination.errors import Conflict, Forbidden, NotFound
from coordination.models import Meeting, MeetingStatus
from coordination.models_consultation import Support
from coordination.services import consultation
from tests.coordination.consultation import Konsult
from tests.coordination.styrgrupp import sent_events


def _text(support: Support) -> str:
    case = support.presentation.case
    return vault.decrypt_value(
        vault.case_data_key(case), str(case.id), f"support:{support.id}", support.text_ciphertext
    )


def test_each_agency_records_the_support_it_can_offer(
    konsult: Konsult, django_capture_on_commit_callbacks
) -> None:
    presentation = konsult.book_anonymised()
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        school = consultation.support_record(
            actor=konsult.user("teacher"),
            presentation=presentation,
            unit=konsult.skola,
            text="Elevhälsan kan erbjuda samtal med kurator varje vecka.",
        )
        region = consultation.support_record(
            actor=konsult.user("nurse"),
            presentation=presentation,
            unit=konsult.region,
            text="Primärvården kan ta emot för samtalsstöd.",
        )
    assert _text(school) == "Elevhälsan kan erbjuda samtal med kurator varje vecka."
    assert _text(region) == "Primärvården kan ta emot för samtalsstöd."
    entries = list(AuditEvent.objects.filter(action="support.recorded").order_by("seq"))
    assert [e.actor for e in entries] == ["teacher", "nurse"]
    assert all(e.legal_basis == "anonymised" and e.fields == ["support"] for e in entries)
    assert "kurator" not in str(entries[0].detail)
    recorded = [event for room, event in sent if event["kind"] == "support.recorded"]
    assert [e["unit"] for e in recorded] == [str(konsult.skola), str(konsult.region)]
    assert all(e["presentation_id"] == str(presentation.id) for e in recorded)
    assert all("text" not in e for e in recorded)


def test_recording_again_changes_the_agencys_offer(konsult: Konsult) -> None:
    presentation = konsult.book_anonymised()
    first = consultation.support_record(
        actor=konsult.user("teacher"), presentation=presentation, unit=konsult.skola, text="A"
    )
    second = consultation.support_record(
        actor=konsult.user("teacher"), presentation=presentation, unit=konsult.skola, text="B"
    )
    assert first.pk == second.pk
    assert Support.objects.count() == 1
    assert _text(Support.objects.get()) == "B"
    last = AuditEvent.objects.filter(action="support.recorded").order_by("seq").last()
    assert last is not None and last.detail["changed"] is True


def test_a_text_naming_the_person_of_an_anonymised_case_is_refused(konsult: Konsult) -> None:
    presentation = konsult.book_anonymised()
    with pytest.raises(IdentifierInMessage) as error:
        consultation.support_record(
            actor=konsult.user("teacher"),
            presentation=presentation,
            unit=konsult.skola,
            text="Vi känner Lina Andersson, dottern går på Charlottenborgsskolan.",
        )
    assert "Lina" not in error.value.message
    assert "Charlottenborg" not in error.value.message
    assert set(error.value.detail["categories"]) >= {"name", "school"}
    assert not Support.objects.exists()
    assert not AuditEvent.objects.filter(action="support.recorded").exists()


def test_with_consent_the_name_may_be_written(konsult: Konsult) -> None:
    konsult.consent()
    presentation = konsult.book_consented()
    support = consultation.support_record(
        actor=konsult.user("nurse"),
        presentation=presentation,
        unit=konsult.region,
        text="Lina Andersson kan få tid hos kurator på vårdcentralen.",
    )
    assert "Lina" in _text(support)


def test_only_for_a_unit_one_speaks_for_and_only_in_an_open_meeting(konsult: Konsult) -> None:
    presentation = konsult.book_anonymised()
    with pytest.raises(Forbidden):
        consultation.support_record(
            actor=konsult.user("teacher"),
            presentation=presentation,
            unit=konsult.region,
            text="Regionen kan …",
        )
    with pytest.raises(NotFound):
        consultation.support_record(
            actor=konsult.user("officer"),
            presentation=presentation,
            unit=konsult.org.units["bou"],
            text="Motala …",
        )
    Meeting.objects.filter(pk=presentation.meeting_id).update(status=MeetingStatus.CLOSED)
    with pytest.raises(Conflict):
        consultation.support_record(
            actor=konsult.user("teacher"),
            presentation=presentation,
            unit=konsult.skola,
            text="Kurator",
        )
    assert not Support.objects.exists()


def test_after_the_consent_is_revoked_members_can_neither_see_nor_add(konsult: Konsult) -> None:
    consent = konsult.consent()
    presentation = konsult.book_consented()
    consent_services.consent_revoke(
        actor=konsult.user("norr_officer"), consent=consent, reason="Klienten ångrade sig."
    )
    for person, unit in (("teacher", konsult.skola), ("nurse", konsult.region)):
        with pytest.raises(NotFound):
            consultation.support_record(
                actor=konsult.user(person), presentation=presentation, unit=unit, text="Ja"
            )
    assert not Support.objects.exists()
