import pytest

from audit.models import AuditEvent
from coordination import services
from coordination.errors import Forbidden, Invalid
from coordination.models import Routine
from tests.coordination.styrgrupp import Styrgrupp


def test_a_coordinator_changes_the_routine_text_checklist_and_time(styrgrupp: Styrgrupp) -> None:
    routine = services.routine_update(
        actor=styrgrupp.user("coordinator"),
        routine=styrgrupp.routine,
        text="Ny text.",
        checklist=["Barn?", {"key": "protection", "text": "Skydd?"}],
        escalation_minutes=10,
        office_hours={"0": ["07:30", "17:00"]},
    )
    routine.refresh_from_db()
    assert routine.text == "Ny text."
    assert routine.checklist == [
        {"key": "item-1", "text": "Barn?"},
        {"key": "protection", "text": "Skydd?"},
    ]
    assert routine.escalation_minutes == 10
    assert routine.office_hours == {"0": ["07:30", "17:00"]}
    entry = AuditEvent.objects.get(action="routine.updated")
    assert entry.detail["fields"] == ["checklist", "escalation_minutes", "office_hours", "text"]


@pytest.mark.parametrize(
    "changes",
    [
        {"office_hours": {"0": ["17:00", "08:00"]}},
        {"office_hours": {"9": ["08:00", "16:00"]}},
        {"escalation_minutes": 0},
        {"checklist": [{"key": "a", "text": ""}]},
        {"trigger_kinds": ["weather"]},
        {"on_call_person": "vuxen_lead"},  # not in the on-call unit
        {"color": "red"},
    ],
)
def test_invalid_routines_are_refused_and_change_nothing(styrgrupp: Styrgrupp, changes) -> None:
    if changes.get("on_call_person"):
        changes["on_call_person"] = styrgrupp.user(changes["on_call_person"])
    before = Routine.objects.get(pk=styrgrupp.routine.pk)
    with pytest.raises(Invalid):
        services.routine_update(
            actor=styrgrupp.user("coordinator"), routine=styrgrupp.routine, **changes
        )
    after = Routine.objects.get(pk=styrgrupp.routine.pk)
    assert (after.office_hours, after.escalation_minutes, after.checklist) == (
        before.office_hours,
        before.escalation_minutes,
        before.checklist,
    )
    assert not AuditEvent.objects.filter(action="routine.updated").exists()


def test_case_officers_cannot_change_the_routine(styrgrupp: Styrgrupp) -> None:
    with pytest.raises(Forbidden):
        services.routine_update(
            actor=styrgrupp.user("officer"), routine=styrgrupp.routine, escalation_minutes=1
        )
    assert Routine.objects.get(pk=styrgrupp.routine.pk).escalation_minutes == 15
