import datetime as dt
import hashlib
import json

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from coordination import selectors_meetings, services, vault
from coordination.errors import Conflict, Forbidden
from coordination.models import Meeting, MeetingStatus, Minutes
from tests.audit.test_record import _assert_one_chain
from tests.coordination.styrgrupp import Styrgrupp, sent_events


@pytest.fixture
def held(styrgrupp: Styrgrupp):
    """A meeting where Barn och unga delegated to its deputy and Vuxen accepted."""
    meeting = styrgrupp.convene()
    services.invitation_answer(
        actor=styrgrupp.user("lead"),
        invitation=styrgrupp.invitation(meeting, "lead"),
        answer="delegated",
        delegate_to=styrgrupp.user("deputy"),
    )
    for person in ("deputy", "vuxen_lead"):
        services.invitation_answer(
            actor=styrgrupp.user(person),
            invitation=styrgrupp.invitation(meeting, person),
            answer="accepted",
        )
    services.meeting_open(actor=styrgrupp.user("officer"), meeting=meeting)
    services.action_record(
        actor=styrgrupp.user("deputy"),
        meeting=meeting,
        owner_unit=styrgrupp.bou,
        owner_person=styrgrupp.user("deputy"),
        text="Utredning inleds i dag om Elsa.",
        due_date=timezone.localdate(),
    )
    services.action_record(
        actor=styrgrupp.user("vuxen_lead"),
        meeting=meeting,
        owner_unit=styrgrupp.vuxen,
        text="Skyddat boende ordnas.",
        due_date=timezone.localdate() + dt.timedelta(days=2),
    )
    return meeting


def test_closing_freezes_the_minutes_and_puts_their_hash_in_the_trail(
    styrgrupp: Styrgrupp, held, django_capture_on_commit_callbacks
) -> None:
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        minutes = services.meeting_close(actor=styrgrupp.user("officer"), meeting=held)
    held.refresh_from_db()
    assert held.status == MeetingStatus.CLOSED and held.closed_at is not None

    content = vault.decrypt_value(
        vault.case_data_key(styrgrupp.case),
        str(styrgrupp.case.id),
        f"minutes:{held.id}",
        minutes.content_ciphertext,
    )
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert minutes.sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    assert b"Elsa" not in bytes(minutes.content_ciphertext)

    assert content["case_reference"] == styrgrupp.case.reference
    assert content["legal_basis"] == "same_authority"
    assert [(a["username"], a["role"]) for a in content["attendees"]] == [
        ("officer", "convener"),
        ("deputy", "called"),
        ("vuxen_lead", "called"),
    ]
    (absent,) = content["absent"]
    assert absent["username"] == "lead"
    assert absent["answer"] == "delegated"
    assert absent["delegated_to"] == "Deputy Testsson"
    assert [(a["owner_unit"], a["text"]) for a in content["actions"]] == [
        ("Barn och unga", "Utredning inleds i dag om Elsa."),
        ("Vuxen", "Skyddat boende ordnas."),
    ]
    assert [c["key"] for c in content["checklist"]] == [
        "child_witnessed",
        "protection",
        "protected_data",
    ]

    entry = AuditEvent.objects.get(action="meeting.closed")
    assert entry.detail["minutes_sha256"] == minutes.sha256
    assert entry.detail["actions"] == 2
    assert entry.legal_basis == "same_authority"
    assert "Elsa" not in str(entry.detail)
    _assert_one_chain()
    ((room, event),) = sent
    assert room == f"meeting:{held.id}"
    assert event["kind"] == "meeting.closed"
    assert event["minutes_sha256"] == minutes.sha256


def test_the_minutes_read_back_intact_and_the_read_is_audited(styrgrupp: Styrgrupp, held) -> None:
    services.meeting_close(actor=styrgrupp.user("officer"), meeting=held)
    view = selectors_meetings.minutes_get(user=styrgrupp.user("vuxen_lead"), meeting_id=held.id)
    assert view.intact
    assert view.content is not None and len(view.content["actions"]) == 2
    read = AuditEvent.objects.filter(action="minutes.viewed").get()
    assert read.actor == "vuxen_lead"
    assert read.detail["minutes_sha256"] == view.minutes.sha256


def test_altered_minutes_no_longer_match_their_hash(styrgrupp: Styrgrupp, held) -> None:
    minutes = services.meeting_close(actor=styrgrupp.user("officer"), meeting=held)
    key = vault.case_data_key(styrgrupp.case)
    content = vault.decrypt_value(
        key, str(styrgrupp.case.id), f"minutes:{held.id}", minutes.content_ciphertext
    )
    content["actions"][0]["text"] = "Inget beslut."
    Minutes.objects.filter(pk=minutes.pk).update(
        content_ciphertext=vault.encrypt_value(
            key, str(styrgrupp.case.id), f"minutes:{held.id}", content
        )
    )
    view = selectors_meetings.minutes_get(user=styrgrupp.user("officer"), meeting_id=held.id)
    assert not view.intact


def test_only_an_open_meeting_closes_and_only_by_its_convener_or_case_officers(
    styrgrupp: Styrgrupp, held, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Forbidden):
        services.meeting_close(actor=styrgrupp.user("vuxen_lead"), meeting=held)
    assert callbacks == []
    assert Meeting.objects.get(pk=held.pk).status == MeetingStatus.OPEN
    assert not Minutes.objects.exists()
    services.meeting_close(actor=styrgrupp.user("officer"), meeting=held)
    with pytest.raises(Conflict):
        services.meeting_close(actor=styrgrupp.user("officer"), meeting=held)
    assert AuditEvent.objects.filter(action="meeting.closed").count() == 1


def test_after_erasure_the_minutes_are_unreadable_but_their_hash_remains(
    styrgrupp: Styrgrupp, held
) -> None:
    minutes = services.meeting_close(actor=styrgrupp.user("officer"), meeting=held)
    services.case_erase(actor=styrgrupp.user("lead"), case=styrgrupp.case, reason="Gallring")
    view = selectors_meetings.minutes_get(user=styrgrupp.user("officer"), meeting_id=held.id)
    assert view.content is None
    assert view.minutes.sha256 == minutes.sha256
