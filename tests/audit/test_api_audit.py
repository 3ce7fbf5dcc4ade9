"""The auditors' REST API under /api/v1/audit/."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audit.chain import entry_hash
from audit.models import AccessReview, AuditEvent, Checkpoint
from audit.services import checkpoint_create, record_atomic
from audit.verify import verify_proof
from coordination import selectors
from coordination.models import Case
from tests.audit.scenes import DAY, Clock, build_scene, bulk_rule
from tests.fixtures import IDENTITY, Org

pytestmark = pytest.mark.django_db


def client_for(org: Org, name: str | None) -> APIClient:
    client = APIClient()
    if name:
        client.force_authenticate(org.user(name))
    return client


@pytest.fixture
def disclosed(org: Org, case: Case) -> Case:
    selectors.case_detail(user=org.user("officer"), case_id=case.pk)
    record_atomic(
        actor=org.user("officer"),
        action="disclosure.recorded",
        case=case,
        legal_basis="osl-10-2",
        recipients=["Region Östergötland"],
        fields=["name"],
    )
    return case


def test_disclosures_and_accesses_for_auditors_only(org: Org, disclosed: Case) -> None:
    auditor = client_for(org, "auditor")
    response = auditor.get(reverse("audit:api-disclosures"), {"person": "officer"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1 and body["truncated"] is False
    [entry] = body["entries"]
    assert entry["action"] == "disclosure.recorded"
    assert entry["description"] == "lämnade ut uppgifter"
    assert entry["recipients"] == ["Region Östergötland"]
    assert entry["fields"] == ["name"]
    assert entry["hash"] == entry_hash({k: v for k, v in entry.items() if k != "description"})
    accesses = auditor.get(reverse("audit:api-accesses"), {"case": disclosed.reference}).json()
    assert {"case.viewed", "disclosure.recorded"} <= {e["action"] for e in accesses["entries"]}
    assert AuditEvent.objects.filter(action="audit.searched").count() == 2
    refused = client_for(org, "officer").get(reverse("audit:api-disclosures"))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert client_for(org, None).get(reverse("audit:api-accesses")).status_code in (401, 403)
    bad = auditor.get(reverse("audit:api-accesses"), {"start": "2026-03-10", "end": "2026-03-01"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def test_register_extract(org: Org, disclosed: Case) -> None:
    response = client_for(org, "auditor").post(
        reverse("audit:api-register-extract"),
        {"personnummer": IDENTITY["personnummer"]},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["cases"] == [disclosed.reference]
    last = body["lines"][-1]
    assert last["what"] == "lämnade ut uppgifter" and last["fields"] == ["namn"]
    invalid = client_for(org, "auditor").post(
        reverse("audit:api-register-extract"), {"personnummer": "1234"}, format="json"
    )
    assert invalid.status_code == 400 and invalid.json()["code"] == "invalid"


def test_a_review_through_the_api(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    build_scene(org, Clock(monkeypatch))
    auditor = client_for(org, "auditor")
    with bulk_rule():
        started = auditor.post(
            reverse("audit:api-review-start"),
            {"period_start": DAY.isoformat(), "period_end": DAY.isoformat(), "sample_size": 0},
            format="json",
        )
    assert started.status_code == 201, started.json()
    review = started.json()
    assert review["status"] == "open" and review["rule_counts"]["night"] == 1
    positions = [item["position"] for item in review["items"]]
    early = auditor.post(reverse("audit:api-review-finish", args=[review["id"]]), {}, format="json")
    assert early.status_code == 409 and early.json()["detail"]["unmarked"] == positions
    for position in positions:
        marked = auditor.post(
            reverse("audit:api-review-item-mark", args=[review["id"], position]),
            {"verdict": "justified"},
            format="json",
        )
        assert marked.status_code == 200 and marked.json()["verdict"] == "justified"
    finished = auditor.post(
        reverse("audit:api-review-finish", args=[review["id"]]),
        {"conclusion": "Inga avvikelser."},
        format="json",
    )
    assert finished.status_code == 200
    assert finished.json()["status"] == "finished"
    assert finished.json()["digest"] == AccessReview.objects.get().digest
    listing = auditor.get(reverse("audit:api-reviews")).json()
    assert [r["id"] for r in listing] == [review["id"]]
    other = client_for(org, "lead").get(reverse("audit:api-review", args=[review["id"]]))
    assert other.status_code == 403


def test_proofs_checkpoints_and_the_public_key(org: Org, disclosed: Case) -> None:
    auditor = client_for(org, "auditor")
    event = AuditEvent.objects.get(action="disclosure.recorded")
    proof = auditor.get(reverse("audit:api-proof-inclusion", args=[event.seq])).json()
    assert verify_proof(proof).ok
    first = Checkpoint.objects.order_by("tree_size").first()
    assert first is not None
    record_atomic(actor=None, action="test.later")
    newest = checkpoint_create()
    assert newest is not None and newest.tree_size > first.tree_size
    consistency = auditor.get(
        reverse("audit:api-proof-consistency"), {"first": first.tree_size}
    ).json()
    report = verify_proof(consistency)
    assert report.ok, report.message
    assert consistency["new"]["tree_size"] == newest.tree_size
    latest = auditor.get(reverse("audit:api-checkpoint-latest")).json()
    assert latest == consistency["new"]
    missing = auditor.get(reverse("audit:api-proof-consistency"), {"first": 999999})
    assert missing.status_code == 404
    for name in ("officer", "lead"):
        for url in (
            reverse("audit:api-checkpoint-latest"),
            reverse("audit:api-proof-consistency") + f"?first={first.tree_size}",
            reverse("audit:api-proof-inclusion", args=[event.seq]),
        ):
            assert client_for(org, name).get(url).status_code == 403
    key = client_for(org, None).get(reverse("audit:api-public-key")).json()
    assert key == proof["public_key"]
