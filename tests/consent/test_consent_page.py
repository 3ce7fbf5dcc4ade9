"""The case's consent page: see the consents with their status, record, extend and revoke
one; it is the owning unit's page and a 404 for everyone else."""

# ruff: noqa: F811

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from consent import services
from consent.models import Consent
from tests.consent.conftest import agency, days, make_forum, record_consent, today

# The module-wide organisation fixtures; the tests' ``org`` parameters are these fixtures.
from tests.consent.module_org import _module_org, org  # noqa: F401
from tests.fixtures import PASSWORD, Org, make_case


def client_for(org: Org, who: str) -> Client:
    client = Client()
    assert client.login(username=who, password=PASSWORD)
    return client


def page_url(case: Any) -> str:
    return reverse("consent:case-consents", args=[case.id])


def html(response: Any) -> str:
    return response.content.decode()


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def normalised(response: Any, path: str) -> str:
    """The page without what differs per request anyway: CSRF tokens and the asked path."""
    return _CSRF.sub("csrf", html(response)).replace(path, "PATH")


def test_page_lists_consents_with_their_status(org: Org, case) -> None:
    valid = record_consent(org, case)
    revoked = record_consent(org, case, agencies=["norr"])
    services.consent_revoke(actor=org.user("officer"), consent=revoked, reason="Ångrade sig")
    expired = record_consent(org, case, valid_from=days(-90), valid_to=days(5))
    Consent.objects.filter(pk=expired.pk).update(valid_to=days(-1))

    response = client_for(org, "officer").get(page_url(case))

    assert response.status_code == 200
    page = html(response)
    assert '<h1 id="consents-heading">Samtycken</h1>' in page
    assert re.search(rf'id="consent-{valid.id}" data-status="valid"', page)
    assert re.search(rf'id="consent-{revoked.id}" data-status="revoked"', page)
    assert re.search(rf'id="consent-{expired.id}" data-status="expired"', page)
    for label in ("Giltigt", "Återkallat", "Utgånget"):
        assert f'consent-status">{label}</span>' in page
    assert "Ekbackeskolan, Region Östergötland" in page
    assert "Namn och personnummer, telefon och e-post, adress" in page
    assert "Planera stöd tillsammans med skolan och vården." in page  # decrypted purpose
    assert "Ångrade sig" in page
    # Only a consent still in force can be extended or revoked.
    assert reverse("consent:consent-revoke", args=[case.id, valid.id]) in page
    assert reverse("consent:consent-revoke", args=[case.id, revoked.id]) not in page
    assert reverse("consent:consent-extend", args=[case.id, expired.id]) not in page
    # The read of the consents' texts is in the audit trail.
    assert AuditEvent.objects.filter(action="consent.listed", case_ref=case.reference).exists()
    # A strict Content-Security-Policy applies: no inline script or style.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "style=" not in page and "<style" not in page


def test_record_a_consent_through_the_page(org: Org, case) -> None:
    forum = make_forum(org)
    client = client_for(org, "officer")
    response = client.post(
        page_url(case),
        {
            "agencies": [str(agency(org, "region").pk)],
            "forums": [str(forum.pk)],
            "categories": ["situation", "risk", "health"],
            "purpose_code": "consultation",
            "purpose": "Dra ärendet i konsultativa gruppen.",
            "given_how": "oral",
            "witnessed_by": str(org.user("colleague").pk),
            "document_reference": "",
            "valid_from": today().isoformat(),
            "valid_to": days(60).isoformat(),
        },
    )

    assert response.status_code == 302 and response["Location"] == page_url(case)
    consent = Consent.objects.get(case=case)
    assert consent.categories == ["situation", "risk", "health"]
    assert consent.witnessed_by == org.user("colleague")
    assert list(consent.recipient_forums.all()) == [forum]
    follow = client.get(page_url(case))
    assert "Samtycket är registrerat." in html(follow)
    assert "bevittnat av Colleague Testsson" in html(follow)


def test_an_invalid_form_shows_the_services_message_at_the_field(org: Org, case) -> None:
    response = client_for(org, "officer").post(
        page_url(case),
        {
            "agencies": [str(agency(org, "region").pk)],
            "categories": ["situation"],
            "purpose_code": "consultation",
            "given_how": "oral",
            "valid_from": today().isoformat(),
            "valid_to": days(60).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "Ett muntligt samtycke ska bevittnas; ange vem som bevittnade det." in html(response)
    assert not Consent.objects.exists()


def test_revoke_through_the_page_shows_it_as_revoked(org: Org, case) -> None:
    consent = record_consent(org, case)
    client = client_for(org, "lead")
    url = reverse("consent:consent-revoke", args=[case.id, consent.id])

    response = client.post(url, {f"revoke-{consent.id}-reason": "Klienten vill inte längre."})

    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_by == org.user("lead")
    page = html(client.get(page_url(case)))
    assert re.search(rf'id="consent-{consent.id}" data-status="revoked"', page)
    assert 'consent-status">Återkallat</span>' in page
    assert "Samtycket är återkallat. Det gäller inte längre." in page


def test_revoke_without_reason_keeps_the_form_open_with_the_error(org: Org, case) -> None:
    consent = record_consent(org, case)
    url = reverse("consent:consent-revoke", args=[case.id, consent.id])
    response = client_for(org, "officer").post(url, {f"revoke-{consent.id}-reason": ""})
    assert response.status_code == 400
    assert "<details open>" in html(response)
    assert Consent.objects.get(pk=consent.pk).revoked_at is None


def test_extend_through_the_page(org: Org, case) -> None:
    consent = record_consent(org, case, valid_to=days(30))
    url = reverse("consent:consent-extend", args=[case.id, consent.id])
    prefix = f"extend-{consent.id}"
    response = client_for(org, "officer").post(
        url, {f"{prefix}-valid_to": days(120).isoformat(), f"{prefix}-given_how": "written"}
    )
    assert response.status_code == 302
    assert Consent.objects.get(pk=consent.pk).valid_to == days(120)


def test_extend_to_an_earlier_date_shows_the_error(org: Org, case) -> None:
    consent = record_consent(org, case, valid_to=days(30))
    url = reverse("consent:consent-extend", args=[case.id, consent.id])
    prefix = f"extend-{consent.id}"
    response = client_for(org, "officer").post(
        url, {f"{prefix}-valid_to": days(10).isoformat(), f"{prefix}-given_how": "written"}
    )
    assert response.status_code == 400
    assert f"Det nya slutdatumet måste ligga efter {days(30).isoformat()}." in html(response)


@pytest.mark.parametrize("who", ["norr_officer", "vuxen_lead", "teacher", "nurse", "auditor"])
def test_another_units_consent_page_is_a_404(org: Org, case, who: str) -> None:
    consent = record_consent(org, case)
    client = client_for(org, who)
    missing_url = reverse("consent:case-consents", args=[uuid.uuid4()])
    missing = client.get(missing_url)
    forbidden = client.get(page_url(case))
    assert forbidden.status_code == missing.status_code == 404
    assert normalised(forbidden, page_url(case)) == normalised(missing, missing_url)
    revoke = reverse("consent:consent-revoke", args=[case.id, consent.id])
    assert client.post(revoke, {f"revoke-{consent.id}-reason": "x"}).status_code == 404
    assert Consent.objects.get(pk=consent.pk).revoked_at is None


def test_a_consent_of_another_case_is_a_404(org: Org, case) -> None:
    other = make_case(org)
    consent = record_consent(org, other)
    url = reverse("consent:consent-revoke", args=[case.id, consent.id])
    response = client_for(org, "officer").post(url, {f"revoke-{consent.id}-reason": "x"})
    assert response.status_code == 404
    assert Consent.objects.get(pk=consent.pk).revoked_at is None


def test_signed_out_visitors_are_sent_to_login(case) -> None:
    response = Client().get(page_url(case))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_case_page_links_to_the_consents(org: Org, case) -> None:
    page = html(client_for(org, "officer").get(reverse("frontend:case", args=[case.id])))
    assert f'href="{page_url(case)}" id="case-consents-link"' in page
