"""The auditor's console: pages, filters, CSV and JSON, register extract, loggkontroll."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from audit.chain import entry_hash
from audit.models import AccessReview, AuditEvent, ReviewStatus
from audit.services import record_atomic
from audit.verify import verify_proof
from coordination import selectors
from coordination.models import Case
from tests.audit.scenes import DAY, Clock, build_scene, bulk_rule
from tests.fixtures import IDENTITY, Org, make_case

pytestmark = pytest.mark.django_db


def signed_in(org: Org, name: str) -> Client:
    client = Client()
    client.force_login(org.user(name))
    return client


@pytest.fixture
def auditor(org: Org) -> Client:
    return signed_in(org, "auditor")


@pytest.fixture
def disclosed(org: Org, case: Case) -> Case:
    selectors.case_detail(user=org.user("officer"), case_id=case.pk)
    record_atomic(
        actor=org.user("officer"),
        action="disclosure.recorded",
        case=case,
        legal_basis="osl-10-2",
        recipients=["Region Östergötland", '=HYPERLINK("http://x")'],
        fields=["name", "situation"],
    )
    return case


def last_entry() -> AuditEvent:
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    return event


def assert_no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and "<style" not in html, "inline style"
    assert re.search(r" on[a-z]+=", html) is None, "inline event handler"


def test_the_console_is_for_auditors_only(org: Org, auditor: Client) -> None:
    response = auditor.get(reverse("audit:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Granskningsloggen" in html and 'id="key-id"' in html
    assert_no_inline_code(html)
    for name in ("officer", "lead", "admin"):
        for page in ("audit:index", "audit:disclosures", "audit:accesses", "audit:reviews"):
            assert signed_in(org, name).get(reverse(page)).status_code == 403
    anonymous = Client().get(reverse("audit:disclosures"))
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_disclosures_are_filtered_and_the_search_is_recorded(
    org: Org, auditor: Client, disclosed: Case
) -> None:
    response = auditor.get(
        reverse("audit:disclosures"), {"case": disclosed.reference.lower(), "basis": "osl-10-2"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 post" in html and "lämnade ut uppgifter" in html
    assert "Region Östergötland" in html and "namn, situation och händelser" in html
    assert_no_inline_code(html)
    searched = last_entry()
    assert searched.action == "audit.searched" and searched.actor == "auditor"
    assert searched.case_id == disclosed.pk  # the look shows in the case's history
    assert searched.detail == {
        "view": "disclosures",
        "filters": {"case": disclosed.reference.lower(), "basis": "osl-10-2"},
        "output": "html",
        "hits": 1,
    }
    none = auditor.get(reverse("audit:disclosures"), {"agency": "Polisen"})
    assert "Inga poster matchar" in none.content.decode()
    by_recipient = auditor.get(reverse("audit:disclosures"), {"agency": "region"})
    assert "1 post" in by_recipient.content.decode()


def test_disclosures_download_as_csv_for_a_spreadsheet(
    org: Org, auditor: Client, disclosed: Case
) -> None:
    response = auditor.get(reverse("audit:disclosures"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="utlamnanden.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][:5] == ["Löpnummer", "Tidpunkt", "Händelse", "Beskrivning", "Ärende"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Ärende"] == disclosed.reference
    assert row["Namn"] == "Officer Testsson"
    # A cell that would start like a formula is made harmless for the spreadsheet.
    assert row["Mottagare"] == '\'=HYPERLINK("http://x"), Region Östergötland'
    assert row["Uppgifter"] == "namn, situation och händelser"
    assert last_entry().detail["output"] == "csv"


def test_accesses_download_as_json_with_verifiable_entries(
    org: Org, auditor: Client, disclosed: Case
) -> None:
    response = auditor.get(
        reverse("audit:accesses"), {"case": disclosed.reference, "format": "json"}
    )
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["view"] == "accesses" and body["filters"] == {"case": disclosed.reference}
    actions = [e["action"] for e in body["entries"]]
    assert "case.viewed" in actions and "disclosure.recorded" in actions
    for entry in body["entries"]:
        assert entry["hash"] == entry_hash(entry)
        assert entry["case_id"] == str(disclosed.pk)


def test_accesses_can_be_narrowed_to_flagged_ones(org: Org, auditor: Client) -> None:
    plain, protected = make_case(org), make_case(org, protected=True)
    for case in (plain, protected):
        selectors.case_detail(user=org.user("officer"), case_id=case.pk)
    html = auditor.get(reverse("audit:accesses"), {"flagged": "on"}).content.decode()
    assert protected.reference in html and plain.reference not in html
    assert 'class="flagged"' in html


def test_bad_filters_are_refused_clearly(auditor: Client) -> None:
    response = auditor.get(reverse("audit:accesses"), {"start": "2026-03-10", "end": "2026-03-01"})
    assert response.status_code == 400
    assert "Periodens början ligger efter dess slut." in response.content.decode()
    assert auditor.get(reverse("audit:accesses"), {"format": "xml"}).status_code == 400


def test_another_agencys_entries_are_not_shown(org: Org, auditor: Client) -> None:
    norr = make_case(org, officer="norr_officer")
    selectors.case_detail(user=org.user("norr_officer"), case_id=norr.pk)
    html = auditor.get(reverse("audit:accesses")).content.decode()
    assert norr.reference not in html
    norr_view = AuditEvent.objects.filter(case_id=norr.pk).first()
    assert norr_view is not None
    assert auditor.get(reverse("audit:entry-proof", args=[norr_view.seq])).status_code == 404


def test_the_register_extract_page_takes_the_number_by_post_and_prints(
    org: Org, auditor: Client, disclosed: Case
) -> None:
    form = auditor.get(reverse("audit:register-extract"))
    assert form.status_code == 200
    assert 'method="post"' in form.content.decode()
    response = auditor.post(
        reverse("audit:register-extract"), {"personnummer": IDENTITY["personnummer"]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Vem har tagit del av uppgifter om dig" in html
    assert "Officer Testsson" in html and "läste uppgifter i ärendet" in html
    assert "lämnade ut uppgifter till" in html and "Region Östergötland." in html
    assert 'data-action="print"' in html
    assert_no_inline_code(html)
    assert last_entry().action == "audit.register_extract"
    bad = auditor.post(reverse("audit:register-extract"), {"personnummer": "12345"})
    assert bad.status_code == 400
    assert "Ogiltigt personnummer" in bad.content.decode()
    assert signed_in(org, "officer").get(reverse("audit:register-extract")).status_code == 403


def test_a_loggkontroll_is_started_marked_finished_and_printed(
    org: Org, auditor: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_scene(org, Clock(monkeypatch))
    with bulk_rule():
        response = auditor.post(
            reverse("audit:reviews"),
            {"period_start": DAY.isoformat(), "period_end": DAY.isoformat(), "sample_size": "1"},
        )
    review = AccessReview.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("audit:review", args=[review.pk])
    page = auditor.get(response["Location"])
    html = page.content.decode()
    assert "åtkomst nattetid" in html and "skyddade personuppgifter" in html
    assert 'name="item-1-verdict"' in html
    assert_no_inline_code(html)

    # Finishing too early is refused with the reason.
    early = auditor.post(response["Location"], {"finish": "1", "conclusion": ""})
    assert early.status_code == 400
    assert "Alla åtkomster måste bedömas" in early.content.decode()

    # A follow-up without a note is refused; with one it is stored.
    missing = auditor.post(
        response["Location"], {"position": "1", "item-1-verdict": "follow_up", "item-1-note": ""}
    )
    assert missing.status_code == 400
    assert "Skriv en anteckning" in missing.content.decode()
    for item in review.items.order_by("position"):
        n = item.position
        verdict = "follow_up" if n == 1 else "justified"
        marked = auditor.post(
            response["Location"],
            {"position": str(n), f"item-{n}-verdict": verdict, f"item-{n}-note": "Fråga chefen."},
        )
        assert marked.status_code == 302
    done = auditor.post(
        response["Location"], {"finish": "1", "conclusion": "En åtkomst följs upp."}
    )
    assert done.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.FINISHED
    printable = auditor.get(response["Location"]).content.decode()
    assert review.digest in printable and "En åtkomst följs upp." in printable
    assert "Fråga chefen." in printable and "Behöver följas upp" in printable
    assert 'name="item-1-verdict"' not in printable  # nothing left to mark
    listing = auditor.get(reverse("audit:reviews")).content.decode()
    assert "Avslutad" in listing


def test_a_proof_for_one_entry_and_the_latest_checkpoint_download(
    org: Org, auditor: Client, disclosed: Case
) -> None:
    event = AuditEvent.objects.filter(action="disclosure.recorded").get()
    response = auditor.get(reverse("audit:entry-proof", args=[event.seq]))
    assert response.status_code == 200
    proof = json.loads(response.content)
    report = verify_proof(proof)
    assert report.ok, report.message
    assert proof["entry"]["seq"] == event.seq
    issued = AuditEvent.objects.filter(action="audit.proof_issued").get()
    assert issued.detail == {"kind": "inclusion", "seq": event.seq}
    checkpoint = auditor.get(reverse("audit:latest-checkpoint"))
    assert json.loads(checkpoint.content) == proof["checkpoint"]
    key = Client().get(reverse("audit:public-key"))  # public: anyone may verify
    assert key.status_code == 200 and proof["public_key"]["pem"] == key.content.decode()
