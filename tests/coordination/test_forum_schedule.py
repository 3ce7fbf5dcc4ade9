import datetime as dt
import zoneinfo

import pytest

from audit.models import AuditEvent
from coordination import services
from coordination.errors import Forbidden, Invalid
from coordination.models import ForumKind, Meeting
from coordination.models_consultation import Slot
from coordination.services import consultation
from tests.coordination.consultation import RULE, Konsult
from tests.fixtures import Org

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def at(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=STOCKHOLM)


def test_weekly_occurrences_at_one_local_hour_across_summer_time(konsult: Konsult) -> None:
    Meeting.objects.filter(forum=konsult.forum).delete()
    # Monday 16 March 2026; summer time begins on Sunday 29 March.
    created = consultation.forum_schedule(
        actor=None, forum=konsult.forum, weeks=4, now=at(2026, 3, 16, 9)
    )
    local = [m.starts_at.astimezone(STOCKHOLM) for m in created]
    assert [(t.month, t.day, t.hour, t.minute) for t in local] == [
        (3, 19, 13, 0),
        (3, 26, 13, 0),
        (4, 2, 13, 0),
        (4, 9, 13, 0),
    ]
    assert [t.utcoffset() for t in local] == [dt.timedelta(hours=h) for h in (1, 1, 2, 2)]
    assert all(m.duration_minutes == 60 and not m.ad_hoc for m in created)
    # A one-hour meeting has three slots of twenty minutes.
    slots = list(Slot.objects.filter(meeting=created[0]).order_by("number"))
    assert [(s.number, s.starts_at.astimezone(STOCKHOLM).strftime("%H:%M")) for s in slots] == [
        (1, "13:00"),
        (2, "13:20"),
        (3, "13:40"),
    ]
    assert all(s.duration_minutes == 20 and s.presentation is None for s in slots)
    entry = AuditEvent.objects.filter(action="forum.scheduled").order_by("-seq").first()
    assert entry is not None
    assert entry.detail["forum"] == str(konsult.forum.id)
    assert len(entry.detail["meetings"]) == 4


def test_running_it_again_creates_nothing_and_extends_only_what_is_new(konsult: Konsult) -> None:
    Meeting.objects.filter(forum=konsult.forum).delete()
    first = consultation.forum_schedule(
        actor=None, forum=konsult.forum, weeks=2, now=at(2026, 3, 16, 9)
    )
    entries = AuditEvent.objects.filter(action="forum.scheduled").count()
    again = consultation.forum_schedule(
        actor=None, forum=konsult.forum, weeks=2, now=at(2026, 3, 17, 9)
    )
    assert again == []
    assert AuditEvent.objects.filter(action="forum.scheduled").count() == entries
    later = consultation.forum_schedule(
        actor=None, forum=konsult.forum, weeks=3, now=at(2026, 3, 16, 9)
    )
    assert len(first) == 2
    assert [m.starts_at.astimezone(STOCKHOLM).day for m in later] == [2]
    assert Meeting.objects.filter(forum=konsult.forum).count() == 3
    assert Slot.objects.filter(meeting__forum=konsult.forum).count() == 9


def test_every_other_week_keeps_its_weeks_whenever_it_runs(org: Org) -> None:
    forum = services.forum_create(
        actor=None,
        name="Konsultationsgrupp",
        kind=ForumKind.CONSULTATIVE_GROUP,
        municipality=org.units["norr"].agency.municipality,
        internal=False,
        member_units=[org.units["norr"], org.units["region"]],
        recurrence="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;BYHOUR=14;BYMINUTE=0",
    )
    one = consultation.forum_schedule(actor=None, forum=forum, weeks=4, now=at(2026, 3, 2, 8))
    Meeting.objects.filter(forum=forum).delete()
    two = consultation.forum_schedule(actor=None, forum=forum, weeks=4, now=at(2026, 3, 9, 8))
    weeks_one = {m.starts_at.isocalendar().week % 2 for m in one}
    weeks_two = {m.starts_at.isocalendar().week % 2 for m in two}
    assert len(one) == 2
    assert weeks_one == weeks_two and len(weeks_one) == 1


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "ingen återkommande"),
        ("FREQ=WEEKLY;BYDAY=TH", "klockslaget"),
        ("FREQ=SOMETIMES;BYHOUR=13", "kan inte läsas"),
        ("FREQ=HOURLY;BYHOUR=13", "oftare än en gång om dagen"),
    ],
)
def test_a_rule_that_cannot_be_used_is_refused_and_nothing_is_made(
    konsult: Konsult, rule: str, message: str
) -> None:
    konsult.forum.recurrence = rule
    konsult.forum.save(update_fields=["recurrence"])
    before = Meeting.objects.count()
    with pytest.raises(Invalid, match=message):
        consultation.forum_schedule(actor=None, forum=konsult.forum)
    assert Meeting.objects.count() == before


def test_a_rule_with_its_own_start(konsult: Konsult) -> None:
    konsult.forum.recurrence = "DTSTART:20260106T091500\nRRULE:FREQ=WEEKLY;INTERVAL=8"
    konsult.forum.save(update_fields=["recurrence"])
    created = consultation.forum_schedule(
        actor=None, forum=konsult.forum, weeks=10, now=at(2026, 2, 1, 0)
    )
    assert [m.starts_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M") for m in created] == [
        "2026-03-03 09:15"
    ]


def test_only_coordinators_and_administrators_schedule(konsult: Konsult) -> None:
    with pytest.raises(Forbidden):
        consultation.forum_schedule(actor=konsult.user("teacher"), forum=konsult.forum)
    assert RULE in konsult.forum.recurrence


def test_the_nightly_command_schedules_every_recurring_forum_once(konsult: Konsult) -> None:
    from io import StringIO

    from django.core.management import call_command

    Meeting.objects.filter(forum=konsult.forum).delete()
    out = StringIO()
    call_command("schedule_forums", "--weeks", "2", stdout=out)
    assert out.getvalue().strip() == "2 nya möten."
    out = StringIO()
    call_command("schedule_forums", "--weeks", "2", stdout=out)
    assert out.getvalue().strip() == "0 nya möten."
    assert Meeting.objects.filter(forum=konsult.forum).count() == 2
