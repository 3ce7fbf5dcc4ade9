"""The redaction preview page: draft, highlighted redactions, table, warnings, confirmation."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from coordination import services
from coordination.models import Case
from tests.fixtures import Org

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.consent.anonymiser.urls")]

DRAFT = (
    "Lina (34 år) bor på Storgatan 12 i Motala och arbetar som präst.\n"
    "Maken Mikael ringer från 073-555 12 34. Personnummer 850612-2384."
)


def _url(case: Case | uuid.UUID) -> str:
    case_id = case.id if isinstance(case, Case) else case
    return reverse("redaction:preview", kwargs={"case_id": case_id})


@pytest.fixture
def officer_client(client: Client, org: Org) -> Client:
    client.force_login(org.user("officer"))
    return client


def _fingerprint(html: str) -> str:
    match = re.search(r'name="fingerprint" value="([0-9a-f]{64})"', html)
    assert match, "no fingerprint in the page"
    return match.group(1)


def test_the_page_lives_at_the_documented_address(case: Case) -> None:
    assert _url(case) == f"/arenden/{case.id}/avidentifiering/"


def test_the_case_officer_gets_an_empty_draft_form_in_swedish(
    officer_client: Client, case: Case
) -> None:
    response = officer_client.get(_url(case))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 id="redaction-heading">Avidentifierad beskrivning</h1>' in html
    assert '<textarea name="text" id="id_text"' in html
    assert "Förhandsgranska" in html
    assert 'id="redaction-preview"' not in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_people_who_do_not_work_on_the_case_get_not_found(
    client: Client, org: Org, case: Case
) -> None:
    for username in ("norr_officer", "teacher", "vuxen_lead"):
        client.force_login(org.user(username))
        assert client.get(_url(case)).status_code == 404
        assert client.post(_url(case), {"text": "Lina", "action": "preview"}).status_code == 404
    client.force_login(org.user("officer"))
    assert client.get(_url(uuid.uuid4())).status_code == 404


def test_signed_out_people_are_sent_to_the_login(client: Client, case: Case) -> None:
    response = client.get(_url(case))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("frontend:login"))


def test_the_preview_marks_every_redaction_and_explains_it(
    officer_client: Client, case: Case
) -> None:
    response = officer_client.post(_url(case), {"text": DRAFT, "action": "preview"})

    assert response.status_code == 200
    html = response.content.decode()
    preview = re.search(r'<div class="redacted-text" id="redacted-text">(.*?)</div>', html, re.S)
    assert preview
    shown = re.sub(r"<sup[^>]*>\d+</sup>", "", preview.group(1))
    plain = re.sub(r"<[^>]+>", "", shown)
    assert plain == (
        "[namn] (30–39 år) bor på [adress] i en kommun i västra länsdelen och arbetar som "
        "präst.\nMaken [anhörig] ringer från [telefon]. Personnummer [personnummer]."
    )
    assert shown.count('<mark class="redaction"') == 5  # removed
    assert shown.count('<mark class="redaction redaction-generalised"') == 2  # made general

    table = re.search(
        r'<table class="table table-stack" id="redaction-table">.*?</table>', html, re.S
    )
    assert table
    rows = re.findall(r'<tr id="redaction-row-(\d+)">(.*?)</tr>', table.group(0), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for _n, row in rows]
    summary = [(re.sub(r"<[^>]+>", "", c[1]), re.sub(r"<[^>]+>", "", c[3])) for c in cells]
    assert summary == [
        ("Namn", "[namn]"),
        ("Ålder", "30–39 år"),
        ("Adress", "[adress]"),
        ("Kommun", "en kommun i västra länsdelen"),
        ("Anhörigs namn", "[anhörig]"),
        ("Telefonnummer", "[telefon]"),
        ("Personnummer eller samordningsnummer", "[personnummer]"),
    ]
    assert "Ärendets namn" in table.group(0) and "Ser ut som ett telefonnummer" in table.group(0)
    # The case officer sees what their own draft said, to check the removal.
    assert '<span class="redaction-removed">073-555 12 34</span>' in table.group(0)
    # Motala is not small, so one rare detail alone does not warn.
    assert 'id="warning-' not in html
    assert 'id="confirm-button"' in html and 'name="reviewed"' in html


def test_a_rare_detail_in_a_small_municipality_is_warned_about(
    officer_client: Client, case: Case
) -> None:
    text = "Kvinnan bor i Ydre och arbetar som präst. Hon har två barn."
    response = officer_client.post(_url(case), {"text": text, "action": "preview"})
    html = response.content.decode()
    warning = re.search(
        r'<div class="alert alert-warning redaction-warning" id="warning-rare_combination".*?</div>',
        html,
        re.S,
    )
    assert warning
    assert "liten kommun" in warning.group(0) and "<li>präst</li>" in warning.group(0)


def test_confirming_without_the_box_asks_for_it_and_confirms_nothing(
    officer_client: Client, case: Case
) -> None:
    first = officer_client.post(_url(case), {"text": DRAFT, "action": "preview"})
    response = officer_client.post(
        _url(case),
        {"text": DRAFT, "action": "confirm", "fingerprint": _fingerprint(first.content.decode())},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Kryssa i att du har granskat avidentifieringen för att bekräfta." in html
    assert 'id="brief-confirmed"' not in html
    assert not AuditEvent.objects.filter(action="brief.confirmed").exists()


def test_confirming_the_previewed_version_shows_it_confirmed_and_records_it(
    officer_client: Client, case: Case
) -> None:
    first = officer_client.post(_url(case), {"text": DRAFT, "action": "preview"})
    response = officer_client.post(
        _url(case),
        {
            "text": DRAFT,
            "action": "confirm",
            "reviewed": "on",
            "fingerprint": _fingerprint(first.content.decode()),
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="alert-title">Bekräftad</span>' in html
    assert 'id="confirm-button"' not in html
    entry = AuditEvent.objects.get(action="brief.confirmed")
    assert entry.case_id == case.id
    assert entry.detail["redactions"] == 7


def test_a_text_changed_after_the_preview_must_be_previewed_again(
    officer_client: Client, case: Case
) -> None:
    first = officer_client.post(_url(case), {"text": DRAFT, "action": "preview"})
    response = officer_client.post(
        _url(case),
        {
            "text": DRAFT + " Hon bor nu på Kvarngatan 7.",
            "action": "confirm",
            "reviewed": "on",
            "fingerprint": _fingerprint(first.content.decode()),
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "har ändrats sedan förhandsgranskningen" in html
    assert 'id="brief-confirmed"' not in html
    # The new version is shown for review, its new address removed.
    assert '<span class="redaction-removed">Kvarngatan 7</span>' in html
    assert not AuditEvent.objects.filter(action="brief.confirmed").exists()


def test_an_empty_or_oversized_draft_is_refused_at_the_field(
    officer_client: Client, case: Case
) -> None:
    empty = officer_client.post(_url(case), {"text": "", "action": "preview"})
    assert empty.status_code == 400
    assert 'aria-invalid="true"' in empty.content.decode()
    huge = officer_client.post(_url(case), {"text": "x" * 20_001, "action": "preview"})
    assert huge.status_code == 400
    assert 'id="text-errors"' in huge.content.decode()


def test_an_erased_case_cannot_be_drafted_from(
    officer_client: Client, org: Org, case: Case
) -> None:
    services.case_erase(actor=org.user("lead"), case=case, reason="Gallringsfrist")
    response = officer_client.post(_url(case), {"text": "Lina kom.", "action": "preview"})
    assert response.status_code == 400
    assert "Ärendet är gallrat" in response.content.decode()


def test_the_page_has_no_inline_script_or_style(officer_client: Client, case: Case) -> None:
    html = officer_client.post(_url(case), {"text": DRAFT, "action": "preview"}).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "<style" not in html and " style=" not in html
    assert re.search(r" on[a-z]+=", html) is None
    assert "/static/consent/redaction.css" in html
