"""The statistics, overview, case counts and agenda pages through Django's test client,
and the calendar feed as a calendar program fetches it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from audit.models import AuditEvent
from coordination import services
from coordination.models import Role
from coordination.models_statistics import CaseFacts, TrainingEvent
from coordination.services import agenda
from tests.coordination.statistics_data import Year, build_year
from tests.fixtures import Org, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(org: Org) -> Year:
    return build_year(org)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


# --- statistics ------------------------------------------------------------------------------


def test_a_coordinator_sees_charts_tables_and_under_5(data: Year) -> None:
    html = _html(_client(data.user("coordinator")).get(reverse("frontend:statistics")))
    assert "Statistik: Motala" in html
    assert html.count('<svg class="chart"') == 7
    assert 'id="table-handelser-0583"' in html
    assert ">&lt;5</td>" in html
    assert "&lt;5</text>" in html  # the chart says the same as the table
    assert 'id="nav-statistics" aria-current="page"' in html
    assert "style=" not in html  # colours come from the stylesheet (strict CSP)


def test_the_county_view_has_every_municipality(data: Year) -> None:
    client = _client(data.user("coordinator"))
    html = _html(client.get(reverse("frontend:statistics"), {"omrade": "lan"}))
    assert "Statistik: Östergötlands län" in html
    assert 'id="table-handelser-per-kommun"' in html
    assert ">Norrköping</th>" in html and ">Motala</th>" in html


def test_a_coordinator_does_not_see_another_municipality_s_months(data: Year) -> None:
    client = _client(data.user("coordinator"))
    assert client.get(reverse("frontend:statistics"), {"omrade": "0581"}).status_code == 404
    assert client.get(reverse("frontend:statistics"), {"ar": "1999"}).status_code == 404


@pytest.mark.parametrize("person", ["officer", "lead", "nurse", "auditor"])
def test_people_without_a_coordinator_role_get_no_statistics(data: Year, person: str) -> None:
    client = _client(data.user(person))
    assert client.get(reverse("frontend:statistics")).status_code == 404
    start = _html(client.get(reverse("frontend:start")))
    assert 'id="nav-statistics"' not in start
    assert 'id="nav-agenda"' in start


def test_the_csv_export_is_the_table_with_the_same_protection(data: Year) -> None:
    client = _client(data.user("coordinator"))
    year = str(timezone.localdate().year)
    response = client.get(
        reverse("frontend:statistics_csv"), {"ar": year, "omrade": "0583", "tabell": "handelser"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"samverka-handelser-0583-{year}.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Månad;Våld;Hot;")
    assert "<5" in text
    entry = AuditEvent.objects.get(action="statistics.exported")
    assert entry.actor == "coordinator"
    assert entry.detail == {
        "year": int(year),
        "scope": "0583",
        "table": "handelser",
        "per_municipality": False,
    }
    assert (
        client.get(
            reverse("frontend:statistics_csv"), {"ar": year, "omrade": "0583", "tabell": "nej"}
        ).status_code
        == 404
    )
    officer = _client(data.user("officer"))
    assert (
        officer.get(
            reverse("frontend:statistics_csv"),
            {"ar": year, "omrade": "0583", "tabell": "handelser"},
        ).status_code
        == 404
    )


# --- the overview and the case's counts ------------------------------------------------------


def test_the_case_officer_prints_the_overview(data: Year) -> None:
    client = _client(data.user("officer"))
    case = data.styrgrupp.case
    case_page = _html(client.get(reverse("frontend:case", kwargs={"case_id": case.id})))
    assert 'id="case-overview-link"' in case_page
    html = _html(client.get(reverse("frontend:case_overview", kwargs={"case_id": case.id})))
    assert "Vem vet vad, och vem gör vad?" in html
    assert "statistics-print.css" in html and 'media="print"' in html
    assert 'data-print id="print-overview"' in html
    assert "Inled utredning om Elsa utan dröjsmål." in html
    assert "Inom samma myndighet och verksamhetsgren" in html  # the styrgrupp's basis


def test_the_case_s_counts_are_recorded_from_a_form(data: Year) -> None:
    client = _client(data.user("officer"))
    case = data.styrgrupp.case
    url = reverse("frontend:case_facts", kwargs={"case_id": case.id})
    form = _html(client.get(url))
    assert 'name="children_witnessed"' in form
    response = client.post(
        url,
        {"children_witnessed": "2", "children_subjected": "1", "adult_subjected": "on"},
    )
    assert response.status_code == 302
    facts = CaseFacts.objects.get(case=case)
    assert (facts.children_witnessed, facts.children_subjected) == (2, 1)
    assert facts.adult_subjected and not facts.adult_used_violence
    bad = client.post(url, {"children_witnessed": "-3", "children_subjected": "0"})
    assert bad.status_code == 200
    assert CaseFacts.objects.get(case=case).children_witnessed == 2
    outsider = _client(data.user("vuxen_officer"))
    assert outsider.get(url).status_code == 404


# --- the year's agenda and the feed -------------------------------------------------------


def test_the_agenda_lists_the_forum_s_meetings_and_training_by_month(data: Year) -> None:
    motala = data.org.units["bou"].agency.municipality
    this_year = timezone.localdate().year
    agenda.training_event_create(
        actor=data.user("coordinator"),
        municipality=motala,
        title="Grundutbildning VINR för all personal",
        starts_on=dt.date(this_year - 2, 3, 12),
        audience="All personal",
        every_years=2,
    )
    teacher = _html(_client(data.user("teacher")).get(reverse("frontend:agenda")))
    assert "Konsultativ grupp rörande VINR" in teacher
    assert "Grundutbildning VINR" not in teacher  # Motala's training, not Norrköping's
    coordinator = _html(_client(data.user("coordinator")).get(reverse("frontend:agenda")))
    assert "Grundutbildning VINR för all personal" in coordinator
    march = coordinator.split('id="month-3"')[1].split('id="month-4"')[0]
    assert "Grundutbildning VINR för all personal" in march
    assert 'id="training-form"' in coordinator
    assert 'id="training-form"' not in teacher
    next_year = _html(
        _client(data.user("coordinator")).get(reverse("frontend:agenda"), {"ar": this_year + 1})
    )
    assert "Grundutbildning VINR för all personal" not in next_year  # every other year


def test_a_coordinator_adds_training_from_the_agenda(data: Year) -> None:
    client = _client(data.user("coordinator"))
    motala = data.org.units["bou"].agency.municipality
    assert motala is not None
    response = client.post(
        reverse("frontend:training_create"),
        {
            "title": "Utbildning om hedersrelaterat våld",
            "starts_on": f"{timezone.localdate().year}-10-05",
            "start_time": "09:00",
            "duration_minutes": "120",
            "audience": "Handläggare",
            "every_years": "",
            "municipality": str(motala.pk),
        },
    )
    assert response.status_code == 302
    assert TrainingEvent.objects.get().title == "Utbildning om hedersrelaterat våld"
    refused = _client(data.user("officer")).post(
        reverse("frontend:training_create"), {"title": "x"}
    )
    assert refused.status_code == 404


def test_the_calendar_link_is_shown_once_and_the_feed_answers_only_to_it(data: Year) -> None:
    teacher = data.user("teacher")
    client = _client(teacher)
    page = _html(client.post(reverse("frontend:calendar_renew")))
    url = re.search(r'id="feed-url" class="feed-url mono" value="([^"]+)"', page)
    assert url is not None
    path = url.group(1).split("localhost:8000", 1)[-1]
    anonymous = Client()
    response = anonymous.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert calendar.name == "VCALENDAR"
    assert str(calendar["VERSION"]) == "2.0"
    assert "Samverka" in str(calendar["PRODID"])
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert "Konsultativ grupp rörande VINR" in summaries
    text = response.content.decode()
    for value in ["Lina Andersson", "19850612-2384", "Storgatan", "lina.andersson@example.se"]:
        assert value not in text
    # Reloading the agenda does not show the link again: it is not stored.
    again = _html(client.get(reverse("frontend:agenda")))
    assert url.group(1) not in again
    assert 'id="feed-status"' in again
    # A wrong link, and the old one after a new one, get 404.
    assert anonymous.get(path.replace(".ics", "x.ics")).status_code == 404
    client.post(reverse("frontend:calendar_renew"))
    assert anonymous.get(path).status_code == 404


def test_a_coordinator_moves_a_meeting_from_the_agenda(org: Org, data: Year) -> None:
    person = make_user("norr_coordinator")
    services.membership_grant(
        actor=None, user=person, unit=org.units["norr"], role=Role.COORDINATOR
    )
    meeting = data.konsult.meeting(1)
    client = _client(person)
    html = _html(client.get(reverse("frontend:agenda"), {"ar": meeting.starts_at.year}))
    move_url = reverse("frontend:meeting_move", kwargs={"meeting_id": meeting.id})
    assert move_url in html
    new_time = timezone.localtime(meeting.starts_at) + dt.timedelta(hours=1)
    response = client.post(move_url, {"starts_at": new_time.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert timezone.localtime(meeting.starts_at) == new_time
    assert _client(data.user("teacher")).get(move_url).status_code == 404
