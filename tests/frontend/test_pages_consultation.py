"""The konsultativ grupp, referral and concern report pages through Django's test client."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from consent.anonymiser import case_brief
from coordination.models import Presentation
from coordination.models_consultation import ConcernReport, Feedback, Referral, Support
from coordination.services import consultation
from tests.coordination.consultation import BRIEF, Konsult, build_konsult
from tests.fixtures import IDENTITY, Org


@pytest.fixture
def konsult(org: Org) -> Konsult:
    return build_konsult(org)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content.decode()[:2000]
    return response.content.decode()


def test_booking_anonymised_preview_then_confirm(konsult: Konsult) -> None:
    officer = client_for(konsult.user("norr_officer"))
    forum_html = page(officer, f"/konsultativ/forum/{konsult.forum.id}/")
    slot = konsult.slot()
    assert f"/konsultativ/platser/{slot.id}/boka/?mode=anonymised" in forum_html
    url = f"/konsultativ/platser/{slot.id}/boka/?mode=anonymised"
    assert "Förhandsgranska" in page(officer, url)
    preview = officer.post(
        url,
        {"mode": "anonymised", "case": str(konsult.case.id), "text": BRIEF, "action": "preview"},
    )
    html = preview.content.decode()
    assert preview.status_code == 200
    assert 'id="redacted-text"' in html
    draft = case_brief.draft_brief(konsult.case, BRIEF)
    assert draft.fingerprint in html
    # Booking without ticking the review box is refused.
    refused = officer.post(
        url,
        {
            "mode": "anonymised",
            "case": str(konsult.case.id),
            "text": BRIEF,
            "fingerprint": draft.fingerprint,
            "assessment": "Granskat.",
            "action": "book",
        },
    )
    assert refused.status_code == 400
    assert not Presentation.objects.exists()
    # A changed text with the old fingerprint shows a new preview and books nothing.
    changed = officer.post(
        url,
        {
            "mode": "anonymised",
            "case": str(konsult.case.id),
            "text": BRIEF + " Mer text.",
            "fingerprint": draft.fingerprint,
            "assessment": "Granskat.",
            "reviewed": "on",
            "action": "book",
        },
    )
    assert changed.status_code == 400
    assert "ändrats sedan förhandsgranskningen" in changed.content.decode()
    assert not Presentation.objects.exists()
    booked = officer.post(
        url,
        {
            "mode": "anonymised",
            "case": str(konsult.case.id),
            "text": BRIEF,
            "fingerprint": draft.fingerprint,
            "assessment": "Granskat.",
            "reviewed": "on",
            "action": "book",
        },
    )
    presentation = Presentation.objects.get()
    assert booked.status_code == 302
    assert booked["Location"].endswith(
        f"/konsultativ/moten/{slot.meeting_id}/#presentation-{presentation.id}"
    )


def test_booking_with_consent_shows_what_is_missing(konsult: Konsult) -> None:
    officer = client_for(konsult.user("norr_officer"))
    url = f"/konsultativ/platser/{konsult.slot().id}/boka/?mode=consented"
    response = officer.post(
        url,
        {
            "mode": "consented",
            "case": str(konsult.case.id),
            "categories": ["identity", "situation"],
            "assessment": "Samtycke.",
            "action": "book",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="booking-refusal"' in html
    assert "Det finns inget samtycke i ärendet." in html
    konsult.consent()
    response = officer.post(
        url,
        {
            "mode": "consented",
            "case": str(konsult.case.id),
            "categories": ["identity", "situation"],
            "assessment": "Samtycke.",
            "action": "book",
        },
    )
    assert response.status_code == 302
    assert Presentation.objects.get().mode == "consented"


def test_the_room_shows_members_the_brief_and_never_the_identity(konsult: Konsult) -> None:
    presentation = konsult.book_anonymised()
    for person in ("teacher", "nurse"):
        html = page(
            client_for(konsult.user(person)), f"/konsultativ/moten/{presentation.meeting_id}/"
        )
        assert "slagit henne" in html
        assert konsult.case.reference not in html
        for value in (
            str(IDENTITY["name"]),
            "Andersson",
            str(IDENTITY["personnummer"]),
            "Storgatan",
        ):
            assert value not in html
        assert "För in stödet" in html
    owner = page(
        client_for(konsult.user("norr_officer")), f"/konsultativ/moten/{presentation.meeting_id}/"
    )
    assert konsult.case.reference in owner
    assert "Återkoppla till klienten" in owner
    page(client_for(konsult.user("officer")), f"/konsultativ/moten/{presentation.meeting_id}/", 404)


def test_support_is_recorded_by_form_and_by_fetch(konsult: Konsult) -> None:
    presentation = konsult.book_anonymised()
    teacher = client_for(konsult.user("teacher"))
    url = f"/konsultativ/dragningar/{presentation.id}/stod/"
    response = teacher.post(
        url, {"unit": str(konsult.skola.id), "text": "Kurator."}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"ok": True}
    response = teacher.post(
        url,
        {"unit": str(konsult.skola.id), "text": "Lina Andersson känner vi."},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert "namn" in response.json()["error"]
    assert "Lina" not in response.json()["error"]
    response = teacher.post(url, {"unit": str(konsult.region.id), "text": "Regionen."})
    assert response.status_code == 302
    assert Support.objects.count() == 1


def test_feedback_page_and_start_page_task(konsult: Konsult) -> None:
    presentation = konsult.book_anonymised()
    officer = client_for(konsult.user("norr_officer"))
    start = page(officer, "/")
    assert f"/konsultativ/dragningar/{presentation.id}/aterkoppling/" in start
    assert 'id="feedback-tasks"' in start
    url = f"/konsultativ/dragningar/{presentation.id}/aterkoppling/"
    assert "Vad klienten fick veta" in page(officer, url)
    response = officer.post(url, {"told": "Kurator erbjuds.", "wishes": "", "action": "done"})
    assert response.status_code == 302
    assert Feedback.objects.get().status == "done"
    assert 'id="feedback-tasks"' not in page(officer, "/")
    page(client_for(konsult.user("teacher")), url, 404)


def test_referral_pages_from_refusal_to_accept(konsult: Konsult) -> None:
    officer = client_for(konsult.user("norr_officer"))
    url = f"/arenden/{konsult.case.id}/remiss/"
    data = {
        "to_unit": str(konsult.region.id),
        "basis": "consent",
        "categories": ["identity", "situation"],
        "text": "Samtalsstöd.",
        "assessment": "Samtycke finns.",
    }
    refused = officer.post(url, data)
    assert refused.status_code == 400
    assert "Det finns inget samtycke i ärendet." in refused.content.decode()
    assert not Referral.objects.exists()
    konsult.consent()
    sent = officer.post(url, data)
    referral = Referral.objects.get()
    assert sent.status_code == 302
    nurse = client_for(konsult.user("nurse"))
    assert f"/remisser/{referral.id}/" in page(nurse, "/")
    html = page(nurse, f"/remisser/{referral.id}/")
    assert str(IDENTITY["name"]) in html
    assert "Storgatan" not in html  # the address was not referred
    assert 'id="referral-accept"' in html
    nurse.post(f"/remisser/{referral.id}/svar/", {"answer": "accept"})
    referral.refresh_from_db()
    assert referral.status == "accepted"
    sender = page(officer, f"/remisser/{referral.id}/")
    assert "Accepterad" in sender
    page(client_for(konsult.user("teacher")), f"/remisser/{referral.id}/", 404)


def test_concern_report_pages(konsult: Konsult) -> None:
    norrkoping = konsult.norr.agency.municipality
    consultation.concern_intake_set(actor=None, municipality=norrkoping, unit=konsult.norr)
    teacher = client_for(konsult.user("teacher"))
    assert 'id="concern-new-link"' in page(teacher, "/")
    response = teacher.post(
        "/orosanmalan/ny/",
        {
            "reporter_unit": str(konsult.skola.id),
            "municipality": str(norrkoping.pk),
            "child_name": "Alva Nilsson",
            "child_personnummer": "",
            "text": "Blåmärken på armarna.",
            "reporter_phone": "",
        },
    )
    report = ConcernReport.objects.get()
    assert response.status_code == 302
    handler = client_for(konsult.user("norr_officer"))
    assert f"/orosanmalan/{report.id}/" in page(handler, "/")
    handler.post(f"/orosanmalan/{report.id}/kvittera/")
    opened = handler.post(f"/orosanmalan/{report.id}/oppna-arende/", {"category": "VINR"})
    report.refresh_from_db()
    assert report.case is not None
    assert opened["Location"] == f"/arenden/{report.case.id}/"
    mine = page(teacher, f"/orosanmalan/{report.id}/")
    assert "Alva Nilsson" in mine
    assert report.case.reference not in mine
    assert 'id="concern-case"' not in mine
    page(client_for(konsult.user("nurse")), f"/orosanmalan/{report.id}/", 404)
    page(client_for(konsult.user("auditor")), "/orosanmalan/ny/", 404)


@pytest.mark.parametrize("url", ["/konsultativ/", "/"])
def test_lists_render_for_everyone(konsult: Konsult, url: str) -> None:
    for person in ("teacher", "nurse", "norr_officer", "officer", "auditor"):
        page(client_for(konsult.user(person)), url)
