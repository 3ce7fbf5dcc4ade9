""" "Vem vet vad, vem gör vad": the overview agrees with the audit trail for every
disclosure and every action of the case, and only the case's own people open it."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import InformationCategory, LegalBasis, categories_of
from coordination.errors import NotFound
from coordination.models import Action, Case
from coordination.selectors_overview import case_overview
from tests.coordination.statistics_data import Year

MONTHS = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]


def day(moment: dt.datetime | dt.date) -> str:
    local = timezone.localdate(moment) if isinstance(moment, dt.datetime) else moment
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def page(client: Client, case: Case) -> str:
    response = client.get(reverse("frontend:case_overview", kwargs={"case_id": case.id}))
    assert response.status_code == 200
    return response.content.decode()


def line(content: str, anchor: str) -> str:
    found = re.search(rf'<li id="{re.escape(anchor)}"[^>]*>(.*?)</li>', content, re.S)
    assert found, f"the overview has no line {anchor}"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))))


def section_of(content: str, anchor: str) -> str:
    """The heading (agency) of the section the line is in."""
    position = content.index(f'id="{anchor}"')
    heading = list(
        re.finditer(
            r'<section class="card overview-agency"[^>]*>\s*<h2[^>]*>(.*?)</h2>', content[:position]
        )
    )
    assert heading
    return html.unescape(heading[-1].group(1))


def category_words(fields: list[str]) -> list[str]:
    labels = dict(InformationCategory.choices)
    return [str(labels[c]) for c in categories_of(fields)]


@pytest.mark.parametrize("which", ["styrgrupp", "konsult"])
def test_every_disclosure_and_action_in_the_trail_has_its_line(year: Year, which: str) -> None:
    if which == "styrgrupp":
        case, officer = year.styrgrupp.case, year.user("officer")
    else:
        case, officer = year.konsult.case, year.user("norr_officer")
    client = Client()
    client.force_login(officer)
    content = page(client, case)
    entries = AuditEvent.objects.filter(
        case_id=case.id, action__in=["disclosure.recorded", "action.recorded", "action.completed"]
    ).order_by("seq")
    assert entries.exists()
    checked = 0
    for entry in entries:
        if entry.action == "disclosure.recorded":
            text = line(content, f"disclosure-{entry.detail['disclosure']}")
            basis = LegalBasis.objects.get(code=entry.legal_basis)
            assert basis.title in text and basis.statute_reference in text
            for recipient in entry.recipients:
                assert recipient in text
            for word in category_words(entry.fields):
                assert word in text
            assert day(entry.at) in text
        elif entry.action == "action.recorded":
            anchor = f"action-{entry.detail['action']}"
            text = line(content, anchor)
            assert entry.detail["owner_unit"] in text
            assert day(dt.date.fromisoformat(entry.detail["due_date"])) in text
            action = Action.objects.select_related("owner_unit__agency").get(
                pk=entry.detail["action"]
            )
            assert section_of(content, anchor) == action.owner_unit.agency.name
        else:
            text = line(content, f"action-{entry.detail['action']}")
            assert f"Klart {day(entry.at)}" in text
        checked += 1
    assert checked == entries.count()


def test_the_agencies_are_listed_with_what_they_promised(year: Year) -> None:
    client = Client()
    client.force_login(year.user("norr_officer"))
    content = page(client, year.konsult.case)
    region = year.konsult.region.agency.name
    support = line(content, f"support-{year.support.id}")
    assert "Samtalsstöd på vårdcentralen inom två veckor." in support
    assert section_of(content, f"support-{year.support.id}") == region
    referral = line(content, f"referral-{year.referral.id}")
    assert "tog emot remissen" in referral
    assert "Samtycke från den enskilde" in referral
    # The school is in the konsultativ grupp the case was presented to.
    school = year.konsult.skola.agency.name
    assert f'<h2 id="agency-{year.konsult.skola.agency_id}-heading">{school}</h2>' in content
    assert 'id="overview-consents"' in content and "Du har samtyckt till att" in content


def test_an_action_past_its_date_says_so(year: Year) -> None:
    action = year.action_open
    type(action).objects.filter(pk=action.pk).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    client = Client()
    client.force_login(year.user("officer"))
    content = page(client, year.styrgrupp.case)
    assert "tiden har gått ut" in line(content, f"action-{action.id}")
    assert f'id="action-{action.id}" class="overview-line overview-late"' in content


def test_the_read_is_recorded(year: Year) -> None:
    case_overview(user=year.user("officer"), case_id=year.styrgrupp.case.id)
    entry = AuditEvent.objects.filter(action="case.viewed").order_by("-seq").first()
    assert entry is not None
    assert entry.detail["context"] == "overview"
    assert entry.case_ref == year.styrgrupp.case.reference
    assert entry.fields == ["support"]


@pytest.mark.parametrize("outsider", ["vuxen_lead", "nurse", "coordinator", "teacher", "auditor"])
def test_only_the_people_who_work_with_the_case_open_it(year: Year, outsider: str) -> None:
    # The Vuxen lead was in the styrgrupp and the nurse received the referral: they know
    # parts of the case, but the client's overview is printed by the case's own people.
    with pytest.raises(NotFound):
        case_overview(user=year.user(outsider), case_id=year.styrgrupp.case.id)
    with pytest.raises(NotFound):
        case_overview(user=year.user(outsider), case_id=year.konsult.case.id)
    client = Client()
    client.force_login(year.user(outsider))
    response = client.get(
        reverse("frontend:case_overview", kwargs={"case_id": year.konsult.case.id})
    )
    assert response.status_code == 404
