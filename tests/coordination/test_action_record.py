import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from coordination import selectors_meetings, services, vault
from coordination.errors import Conflict, Invalid, NotFound
from coordination.models import Action, ActionStatus
from tests.coordination.styrgrupp import Styrgrupp, sent_events

TEXT = "Barn och unga inleder utredning om Elsa utan dröjsmål (SOSFS 2014:4)."


@pytest.fixture
def meeting(styrgrupp: Styrgrupp):
    meeting = styrgrupp.convene()
    for person in ("lead", "vuxen_lead"):
        services.invitation_answer(
            actor=styrgrupp.user(person),
            invitation=styrgrupp.invitation(meeting, person),
            answer="accepted",
        )
    services.meeting_open(actor=styrgrupp.user("officer"), meeting=meeting)
    return meeting


def _record(styrgrupp: Styrgrupp, meeting, *, actor: str = "lead", **kwargs):
    values = {
        "owner_unit": styrgrupp.bou,
        "owner_person": styrgrupp.user("lead"),
        "text": TEXT,
        "due_date": timezone.localdate() + dt.timedelta(days=1),
    }
    values.update(kwargs)
    return services.action_record(actor=styrgrupp.user(actor), meeting=meeting, **values)


def test_a_section_records_its_decision_encrypted_audited_and_live(
    styrgrupp: Styrgrupp, meeting, django_capture_on_commit_callbacks
) -> None:
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        action = _record(styrgrupp, meeting)
    assert action.status == ActionStatus.OPEN
    assert action.case == styrgrupp.case
    assert b"Elsa" not in bytes(action.text_ciphertext)
    key = vault.case_data_key(styrgrupp.case)
    assert (
        vault.decrypt_value(
            key, str(styrgrupp.case.id), f"action:{action.id}", action.text_ciphertext
        )
        == TEXT
    )
    entry = AuditEvent.objects.get(action="action.recorded")
    assert entry.actor == "lead"
    assert entry.detail["owner_unit"] == "Barn och unga"
    assert entry.detail["owner_person"] == "lead"
    assert "Elsa" not in str(entry.detail)
    ((room, event),) = sent
    assert room == f"meeting:{meeting.id}"
    assert event["kind"] == "action.recorded"
    assert event["action_id"] == str(action.id)
    assert "Elsa" not in str(event), "the text is fetched through the policy, not broadcast"

    state = selectors_meetings.meeting_state(
        user=styrgrupp.user("vuxen_lead"), meeting_id=meeting.id
    )
    assert [a["text"] for a in state["actions"]] == [TEXT]


def test_the_other_section_records_its_own_part(styrgrupp: Styrgrupp, meeting) -> None:
    action = _record(
        styrgrupp,
        meeting,
        actor="vuxen_lead",
        owner_unit=styrgrupp.vuxen,
        owner_person=styrgrupp.user("vuxen_officer"),
        text="Vuxen ordnar skyddat boende i dag.",
    )
    assert action.owner_person == styrgrupp.user("vuxen_officer")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": "   "}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"due_date": dt.date(2020, 1, 1)}, "due_date"),
        ({"owner_person": "vuxen_officer"}, "owner_person"),
        ({"owner_unit": "ledning"}, "owner_unit"),
    ],
)
def test_invalid_actions_are_refused_and_change_nothing(
    styrgrupp: Styrgrupp, meeting, django_capture_on_commit_callbacks, kwargs, field
) -> None:
    if kwargs.get("owner_person"):
        kwargs["owner_person"] = styrgrupp.user(kwargs["owner_person"])
    if kwargs.get("owner_unit"):
        kwargs["owner_unit"] = styrgrupp.org.units[kwargs["owner_unit"]]
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Invalid) as error:
        _record(styrgrupp, meeting, **kwargs)
    assert error.value.detail["field"] == field
    assert callbacks == []
    assert not Action.objects.exists()
    assert not AuditEvent.objects.filter(action="action.recorded").exists()


def test_only_while_the_meeting_is_open_and_only_by_participants(styrgrupp: Styrgrupp) -> None:
    meeting = styrgrupp.convene()
    with pytest.raises(Conflict):
        _record(styrgrupp, meeting, actor="officer")
    services.meeting_open(actor=styrgrupp.user("officer"), meeting=meeting)
    with pytest.raises(NotFound):
        _record(styrgrupp, meeting, actor="norr_officer")
    with pytest.raises(NotFound):
        _record(styrgrupp, meeting, actor="vuxen_officer")  # not called
    services.meeting_close(actor=styrgrupp.user("officer"), meeting=meeting)
    with pytest.raises(Conflict):
        _record(styrgrupp, meeting, actor="officer")
    assert not Action.objects.exists()


def test_the_owner_completes_the_action_once(
    styrgrupp: Styrgrupp, meeting, django_capture_on_commit_callbacks
) -> None:
    action = _record(
        styrgrupp,
        meeting,
        actor="vuxen_lead",
        owner_unit=styrgrupp.vuxen,
        owner_person=styrgrupp.user("vuxen_officer"),
    )
    with pytest.raises(NotFound):
        services.action_complete(actor=styrgrupp.user("norr_officer"), action=action)
    assert Action.objects.get(pk=action.pk).status == ActionStatus.OPEN
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        services.action_complete(actor=styrgrupp.user("vuxen_officer"), action=action)
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE
    assert action.done_by == styrgrupp.user("vuxen_officer")
    assert action.done_at is not None
    entry = AuditEvent.objects.get(action="action.completed")
    assert entry.detail == {"meeting": str(meeting.id), "action": str(action.id)}
    assert [(room, e["kind"]) for room, e in sent] == [
        (f"meeting:{meeting.id}", "action.completed")
    ]
    with pytest.raises(Conflict):
        services.action_complete(actor=styrgrupp.user("vuxen_officer"), action=action)


def test_open_actions_stay_on_the_owners_start_page_until_done(
    styrgrupp: Styrgrupp, meeting
) -> None:
    late = _record(styrgrupp, meeting, text="Skyddsbedömning klar.", owner_person=None)
    Action.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - dt.timedelta(days=2))
    mine = _record(
        styrgrupp,
        meeting,
        actor="vuxen_lead",
        owner_unit=styrgrupp.vuxen,
        owner_person=styrgrupp.user("vuxen_officer"),
        text="Vuxen ordnar skyddat boende.",
    )
    officer_view = selectors_meetings.open_actions(user=styrgrupp.user("vuxen_officer"))
    assert [v.action.pk for v in officer_view] == [mine.pk]
    assert officer_view[0].text == "Vuxen ordnar skyddat boende."
    assert not officer_view[0].overdue
    # Unassigned actions of a section are on its leads' start pages; overdue ones stand out.
    lead_view = selectors_meetings.open_actions(user=styrgrupp.user("deputy"))
    assert [(v.action.pk, v.overdue) for v in lead_view] == [(late.pk, True)]
    reads = AuditEvent.objects.filter(action="action.viewed", detail__where="start")
    assert reads.count() == 2
    services.action_complete(actor=styrgrupp.user("vuxen_officer"), action=mine)
    assert selectors_meetings.open_actions(user=styrgrupp.user("vuxen_officer")) == []
