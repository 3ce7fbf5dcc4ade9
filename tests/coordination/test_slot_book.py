import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from consent import services as consent_services
from consent.anonymiser import case_brief
from consent.errors import DisclosureRefused
from consent.models import Disclosure
from coordination import services, vault
from coordination.errors import CaseErasedError, Conflict, Forbidden, Invalid, NotFound
from coordination.models import Case, Meeting, Presentation
from coordination.models_consultation import Feedback, FeedbackStatus, Slot
from coordination.services import consultation
from tests.coordination.consultation import BRIEF, Konsult
from tests.coordination.styrgrupp import sent_events
from tests.fixtures import IDENTITY, make_case


def _brief(presentation: Presentation) -> str:
    case = presentation.case
    return vault.decrypt_value(
        vault.case_data_key(case),
        str(case.id),
        f"brief:{presentation.id}",
        presentation.brief_ciphertext,
    )


def test_anonymised_booking_stores_exactly_the_confirmed_redacted_text(
    konsult: Konsult, django_capture_on_commit_callbacks
) -> None:
    draft = case_brief.draft_brief(konsult.case, BRIEF)
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        presentation = konsult.book_anonymised()
    assert presentation.mode == "anonymised"
    assert presentation.legal_basis == "anonymised"
    stored = _brief(presentation)
    assert stored == draft.text
    for value in ("Lina", "Andersson", "19850612-2384", "Storgatan", "Elsa", "Charlottenborg"):
        assert value not in stored
    assert "slagit henne" in stored
    slot = Slot.objects.get(presentation=presentation)
    assert slot.booked_by == konsult.user("norr_officer")
    disclosure = slot.disclosure
    assert disclosure is not None
    assert (disclosure.basis_code, disclosure.context, disclosure.level) == (
        "anonymised",
        "presentation",
        "anonymised",
    )
    assert disclosure.recipient_forum == konsult.forum
    assert disclosure.fields == ["situation"]
    assert disclosure.decided_by == konsult.user("norr_officer")
    feedback = Feedback.objects.get(presentation=presentation)
    assert feedback.officer == konsult.user("norr_officer")
    assert feedback.status == FeedbackStatus.OPEN
    entry = AuditEvent.objects.get(action="slot.booked")
    assert entry.legal_basis == "anonymised"
    assert entry.detail["presentation"] == str(presentation.id)
    assert entry.detail["redactions"] == len(draft.redactions)
    assert "Lina" not in str(entry.detail)
    assert AuditEvent.objects.filter(action="brief.confirmed", case_id=konsult.case.id).exists()
    booked = [(room, event) for room, event in sent if event["kind"] == "slot.booked"]
    assert booked == [
        (
            f"meeting:{slot.meeting_id}",
            {
                "kind": "slot.booked",
                "meeting_id": str(slot.meeting_id),
                "slot_id": str(slot.id),
                "presentation_id": str(presentation.id),
                "mode": "anonymised",
            },
        )
    ]


def test_a_text_changed_since_the_preview_is_refused_and_nothing_is_booked(
    konsult: Konsult,
) -> None:
    draft = case_brief.draft_brief(konsult.case, BRIEF)
    with pytest.raises(Invalid) as error:
        consultation.presentation_create_anonymised(
            actor=konsult.user("norr_officer"),
            slot=konsult.slot(),
            case=konsult.case,
            text=BRIEF + " Hon heter Lina.",
            fingerprint=draft.fingerprint,
            assessment="Granskat.",
        )
    assert error.value.detail == {"field": "text"}
    assert not Presentation.objects.exists()
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(action="slot.booked").exists()
    assert konsult.slot().presentation is None


def test_without_a_secrecy_assessment_nothing_is_booked(konsult: Konsult) -> None:
    draft = case_brief.draft_brief(konsult.case, BRIEF)
    with pytest.raises(Invalid, match="sekretessbedömning"):
        consultation.presentation_create_anonymised(
            actor=konsult.user("norr_officer"),
            slot=konsult.slot(),
            case=konsult.case,
            text=BRIEF,
            fingerprint=draft.fingerprint,
            assessment="  ",
        )
    assert not Presentation.objects.exists()


def test_consented_booking_with_a_consent_covering_the_forum(
    konsult: Konsult, django_capture_on_commit_callbacks
) -> None:
    consent = konsult.consent()
    with django_capture_on_commit_callbacks(execute=True):
        presentation = konsult.book_consented(
            categories=["identity", "situation"], text="Hon vill ha stöd i föräldraskapet."
        )
    assert presentation.mode == "consented"
    assert _brief(presentation) == "Hon vill ha stöd i föräldraskapet."
    disclosure = Slot.objects.get(presentation=presentation).disclosure
    assert disclosure is not None
    assert disclosure.consent == consent
    assert disclosure.basis_code == "consent"
    assert disclosure.categories == ["identity", "situation"]
    assert disclosure.recipient_forum == konsult.forum


@pytest.mark.parametrize(
    ("change", "code", "says"),
    [
        (None, "consent_missing", "Det finns inget samtycke"),
        ({"forums": []}, "consent_recipient", "Konsultativ grupp rörande VINR"),
        ({"purpose_code": "referral"}, "consent_purpose", "inte ärendedragning"),
        ({"categories": ["situation"]}, "consent_category", "namn och personnummer"),
    ],
)
def test_consented_booking_is_refused_saying_what_is_missing(
    konsult: Konsult, change: dict | None, code: str, says: str
) -> None:
    if change is not None:
        konsult.consent(**change)
    with pytest.raises(DisclosureRefused) as error:
        konsult.book_consented(categories=["identity", "situation"])
    assert error.value.code == code
    assert says in error.value.message
    assert not Presentation.objects.exists()
    assert not Disclosure.objects.exists()
    assert konsult.slot().presentation is None


def test_a_revoked_consent_refuses_the_booking(konsult: Konsult) -> None:
    consent = konsult.consent()
    consent_services.consent_revoke(
        actor=konsult.user("norr_officer"), consent=consent, reason="Klienten ångrade sig."
    )
    with pytest.raises(DisclosureRefused) as error:
        konsult.book_consented()
    assert error.value.code == "consent_revoked"


def test_a_taken_slot_and_a_second_booking_of_the_case_are_refused(konsult: Konsult) -> None:
    konsult.book_anonymised()
    other = make_case(konsult.org, officer="norr_officer")
    draft = case_brief.draft_brief(other, "Ett annat ärende.")
    with pytest.raises(Conflict, match="redan bokad"):
        consultation.presentation_create_anonymised(
            actor=konsult.user("norr_officer"),
            slot=konsult.slot(1),
            case=other,
            text="Ett annat ärende.",
            fingerprint=draft.fingerprint,
            assessment="Granskat.",
        )
    with pytest.raises(Conflict, match="redan bokat på det här mötet"):
        konsult.book_anonymised(slot=konsult.slot(2))
    assert Presentation.objects.count() == 1


def test_only_people_on_the_case_of_a_member_agency_book(konsult: Konsult) -> None:
    with pytest.raises(NotFound):
        consultation.presentation_create_consented(
            actor=konsult.user("teacher"),
            slot=konsult.slot(),
            case=konsult.case,
            categories=["situation"],
            assessment="-",
        )
    motala_case = make_case(konsult.org, officer="officer")
    draft = case_brief.draft_brief(motala_case, "Text.")
    with pytest.raises(NotFound):
        # Motala's officer sees neither the forum nor may book on it.
        consultation.presentation_create_anonymised(
            actor=konsult.user("officer"),
            slot=konsult.slot(),
            case=motala_case,
            text="Text.",
            fingerprint=draft.fingerprint,
            assessment="-",
        )
    # A forum member who also works on a case of an agency outside the forum.
    teacher = konsult.user("teacher")
    services.membership_grant(
        actor=None, user=teacher, unit=konsult.org.units["vuxen"], role="case_officer"
    )
    outside = services.case_create(actor=teacher, unit=konsult.org.units["vuxen"])
    draft = case_brief.draft_brief(outside, "Text.")
    with pytest.raises(Forbidden, match="deltar inte"):
        consultation.presentation_create_anonymised(
            actor=teacher,
            slot=konsult.slot(),
            case=outside,
            text="Text.",
            fingerprint=draft.fingerprint,
            assessment="-",
        )
    assert not Presentation.objects.exists()


def test_a_meeting_that_is_over_cannot_be_booked(konsult: Konsult) -> None:
    meeting = konsult.meeting()
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(hours=2))
    with pytest.raises(Conflict, match="redan varit"):
        konsult.book_anonymised()


def test_an_erased_case_cannot_be_booked(konsult: Konsult) -> None:
    services.unit_set_leads(actor=None, unit=konsult.norr, lead=konsult.user("norr_officer"))
    konsult.case = Case.objects.get(pk=konsult.case.pk)
    services.case_erase(actor=konsult.user("norr_officer"), case=konsult.case, reason="Gallring")
    konsult.case.refresh_from_db()
    with pytest.raises(CaseErasedError):
        konsult.book_consented()
    assert not Presentation.objects.exists()


def test_identity_is_in_the_vault_not_in_the_brief(konsult: Konsult) -> None:
    presentation = konsult.book_anonymised()
    assert str(IDENTITY["name"]) not in _brief(presentation)
