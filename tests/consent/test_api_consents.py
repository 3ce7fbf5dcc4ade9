"""REST API for consents: list, record, extend, revoke; domain errors as code + message."""

# ruff: noqa: F811

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from consent.models import Consent
from tests.consent.conftest import agency, days, make_forum, record_consent, today

# The module-wide organisation fixtures; the tests' ``org`` parameters are these fixtures.
from tests.consent.module_org import _module_org, org  # noqa: F401
from tests.fixtures import Org


def api(org: Org, who: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(org.user(who))
    return client


def consents_url(case_id: Any) -> str:
    return f"/api/v1/cases/{case_id}/consents/"


def test_record_then_list(org: Org, case) -> None:
    forum = make_forum(org)
    client = api(org, "officer")
    response = client.post(
        consents_url(case.id),
        {
            "agencies": [str(agency(org, "region").pk)],
            "forums": [str(forum.pk)],
            "categories": ["situation", "risk"],
            "purpose_code": "coordination",
            "purpose": "SIP med vården.",
            "given_how": "oral",
            "witnessed_by": "colleague",
            "valid_to": days(90).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "valid" and body["status_display"] == "giltigt"
    assert body["agencies"] == [str(agency(org, "region").pk)]
    assert body["forums"] == [str(forum.pk)]
    assert body["valid_from"] == today().isoformat()
    assert body["purpose"] == "SIP med vården." and body["witnessed_by"] == "colleague"

    listed = client.get(consents_url(case.id)).json()
    assert [c["id"] for c in listed] == [body["id"]]


def test_invalid_record_is_a_400_with_code_and_message(org: Org, case) -> None:
    response = api(org, "officer").post(
        consents_url(case.id),
        {
            "categories": ["situation"],
            "purpose_code": "coordination",
            "given_how": "written",
            "valid_to": days(90).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Ange minst en mottagare.",
        "detail": {"field": "recipients"},
    }
    assert not Consent.objects.exists()


def test_revoke_and_revoke_again(org: Org, case) -> None:
    consent = record_consent(org, case)
    client = api(org, "officer")
    url = f"{consents_url(case.id)}{consent.id}/revoke/"
    response = client.post(url, {"reason": "Ångrade sig."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    again = client.post(url, {"reason": "Igen."}, format="json")
    assert again.status_code == 409
    assert again.json() == {"code": "consent_revoked", "message": "Samtycket är redan återkallat."}


def test_extend(org: Org, case) -> None:
    consent = record_consent(org, case, valid_to=days(30))
    response = api(org, "officer").post(
        f"{consents_url(case.id)}{consent.id}/extend/",
        {"valid_to": days(100).isoformat(), "given_how": "written"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["valid_to"] == days(100).isoformat()


@pytest.mark.parametrize("who", ["nurse", "norr_officer"])
def test_outsiders_get_the_same_404_as_for_a_missing_case(org: Org, case, who: str) -> None:
    consent = record_consent(org, case)
    client = api(org, who)
    missing = client.get(consents_url(uuid.uuid4()))
    hidden = client.get(consents_url(case.id))
    assert hidden.status_code == missing.status_code == 404
    assert (
        hidden.json()
        == missing.json()
        == {
            "code": "not_found",
            "message": "Finns inte, eller så saknar du behörighet.",
        }
    )
    revoke = client.post(
        f"{consents_url(case.id)}{consent.id}/revoke/", {"reason": "x"}, format="json"
    )
    assert revoke.status_code == 404
    assert Consent.objects.get(pk=consent.pk).revoked_at is None


def test_signed_out_is_a_401(case) -> None:
    response = APIClient().get(consents_url(case.id))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
