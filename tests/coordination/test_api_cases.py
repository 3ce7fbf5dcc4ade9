import uuid

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.fixtures import Org, make_case


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def test_case_list_requires_login(api: APIClient, org: Org) -> None:
    response = api.get("/api/v1/cases/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_case_list_shows_only_visible_cases_without_identity(api: APIClient, org: Org) -> None:
    mine = make_case(org)
    other = make_case(org, officer="norr_officer")
    api.force_authenticate(org.user("officer"))
    body = api.get("/api/v1/cases/").json()
    assert [item["reference"] for item in body] == [mine.reference]
    assert body[0]["id"] == str(mine.id)
    assert "Lina" not in str(body)
    assert other.reference not in str(body)


def test_case_detail_forbidden_and_missing_look_the_same(api: APIClient, org: Org) -> None:
    other = make_case(org, officer="norr_officer")
    api.force_authenticate(org.user("officer"))
    forbidden = api.get(f"/api/v1/cases/{other.id}/")
    missing = api.get(f"/api/v1/cases/{uuid.uuid4()}/")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    assert forbidden.json()["code"] == "not_found"


def test_case_detail_is_audited(api: APIClient, org: Org) -> None:
    case = make_case(org)
    api.force_authenticate(org.user("officer"))
    body = api.get(f"/api/v1/cases/{case.id}/").json()
    assert body["identity"]["name"] == "Lina Andersson"
    assert body["level"] == "identified"
    entry = AuditEvent.objects.filter(action="case.viewed").latest("seq")
    assert entry.case_ref == case.reference and "name" in entry.fields


def test_incident_create_validates_input(api: APIClient, org: Org) -> None:
    case = make_case(org)
    api.force_authenticate(org.user("officer"))
    bad = api.post(f"/api/v1/cases/{case.id}/incidents/", {"kind": "violence"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    good = api.post(
        f"/api/v1/cases/{case.id}/incidents/",
        {"kind": "threat", "occurred_at": "2026-01-02T10:00:00+01:00"},
        format="json",
    )
    assert good.status_code == 201 and good.json()["kind"] == "threat"


def test_openapi_schema_is_served(api: APIClient, org: Org) -> None:
    api.force_authenticate(org.user("officer"))
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/v1/cases/" in response.content.decode()
