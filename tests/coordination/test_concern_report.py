from typing import Any

import pytest

from audit.models import AuditEvent
from consent.errors import DisclosureRefused
from coordination import services, vault
from coordination.errors import Conflict, Forbidden, Invalid, NotFound
from coordination.models import Case, IdentityField, Incident, Municipality
from coordination.models_consultation import ConcernReport, ConcernStatus
from coordination.selectors_consultation import concern_get, concerns_incoming, concerns_mine
from coordination.services import consultation
from tests.coordination.styrgrupp import sent_events
from tests.fixtures import Org


@pytest.fixture
def intake(org: Org) -> Org:
    norrkoping = municipality(org, "norr")
    consultation.concern_intake_set(actor=None, municipality=norrkoping, unit=org.units["norr"])
    return org


def municipality(org: Org, unit: str) -> Municipality:
    found = org.units[unit].agency.municipality
    assert found is not None
    return found


def submit(org: Org, **overrides: Any) -> ConcernReport:
    values: dict[str, Any] = {
        "actor": org.user("teacher"),
        "reporter_unit": org.units["skola"],
        "municipality": org.units["norr"].agency.municipality,
        "child_name": "Alva Nilsson",
        "child_personnummer": "201005202385",
        "text": "Alva berättade att pappa slår mamma när han druckit.",
        "reporter_phone": "011-15 00 00",
    }
    values.update(overrides)
    return consultation.concern_report_submit(**values)


def test_a_school_reports_and_the_receiving_unit_gets_it_live(
    intake: Org, django_capture_on_commit_callbacks
) -> None:
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        report = submit(intake)
    assert report.receiving_unit == intake.units["norr"]
    assert report.basis.code == "child_concern_report"
    assert report.status == ConcernStatus.SUBMITTED
    content = consultation.concern_content(report)
    assert content["child_name"] == "Alva Nilsson"
    assert content["child_personnummer"] == "20100520-2385"
    # The content is bound to the report: it does not open as another report's.
    with pytest.raises(vault.VaultError):
        vault.decrypt_value(
            consultation.concern_key(report), "concern:other", "content", report.content_ciphertext
        )
    assert b"Alva" not in bytes(report.content_ciphertext)
    entry = AuditEvent.objects.get(action="concern.submitted")
    assert entry.legal_basis == "child_concern_report"
    assert entry.recipients == [str(intake.units["norr"])]
    assert "Alva" not in str(entry.detail)
    received = [(room, e) for room, e in sent if e["kind"] == "concern.received"]
    assert [room for room, e in received] == [f"inbox:{intake.user('norr_officer').pk}"]
    assert received[0][1]["from_agency"] == "Ekbackeskolan"
    assert "Alva" not in str(received[0][1])
    assert concerns_incoming(user=intake.user("norr_officer")) == [report]
    assert concerns_incoming(user=intake.user("teacher")) == []


def test_receipt_and_outcome_reach_the_reporter_but_never_the_case(
    intake: Org, django_capture_on_commit_callbacks
) -> None:
    report = submit(intake)
    handler = intake.user("norr_officer")
    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        consultation.concern_report_acknowledge(actor=handler, report=report)
        case = consultation.concern_report_open_case(actor=handler, report=report)
        consultation.concern_report_outcome(
            actor=handler, report=report, outcome="investigation_opened"
        )
    report.refresh_from_db()
    assert report.status == ConcernStatus.DECIDED
    assert report.acknowledged_by == handler
    assert report.case == case
    assert case.owning_unit == intake.units["norr"]
    names = set(IdentityField.objects.filter(case=case).values_list("name", flat=True))
    assert names == {"name", "personnummer"}
    incident = Incident.objects.get(case=case)
    assert incident.kind == "other"
    reporter_events = [e for room, e in sent if room == f"inbox:{intake.user('teacher').pk}"]
    assert [e["status"] for e in reporter_events] == ["received", "decided"]
    assert reporter_events[-1]["outcome"] == "investigation_opened"
    for event in reporter_events:
        assert case.reference not in str(event) and str(case.id) not in str(event)

    mine = concern_get(user=intake.user("teacher"), report_id=report.id)
    assert mine.side == "reporter"
    assert mine.case is None
    theirs = concern_get(user=handler, report_id=report.id)
    assert theirs.case == case
    assert concerns_mine(user=intake.user("teacher")) == [report]
    # The reporter cannot reach the case.
    with pytest.raises(NotFound):
        from coordination import selectors

        selectors.case_get(user=intake.user("teacher"), case_id=case.id)
    opened = AuditEvent.objects.get(action="concern.case_opened")
    assert opened.case_id == case.id


def test_the_reporter_and_outsiders_cannot_handle_it(intake: Org) -> None:
    report = submit(intake)
    with pytest.raises(Forbidden):
        consultation.concern_report_acknowledge(actor=intake.user("teacher"), report=report)
    with pytest.raises(NotFound):
        consultation.concern_report_acknowledge(actor=intake.user("nurse"), report=report)
    with pytest.raises(NotFound):
        concern_get(user=intake.user("officer"), report_id=report.id)
    report.refresh_from_db()
    assert report.acknowledged_at is None


def test_the_order_receipt_then_case_and_outcome(intake: Org) -> None:
    report = submit(intake)
    handler = intake.user("norr_officer")
    with pytest.raises(Conflict):
        consultation.concern_report_open_case(actor=handler, report=report)
    with pytest.raises(Conflict):
        consultation.concern_report_outcome(
            actor=handler, report=report, outcome="no_investigation"
        )
    consultation.concern_report_acknowledge(actor=handler, report=report)
    with pytest.raises(Conflict):
        consultation.concern_report_acknowledge(actor=handler, report=report)
    with pytest.raises(Invalid):
        consultation.concern_report_outcome(actor=handler, report=report, outcome="maybe")
    consultation.concern_report_outcome(actor=handler, report=report, outcome="no_investigation")
    with pytest.raises(Conflict):
        consultation.concern_report_outcome(
            actor=handler, report=report, outcome="investigation_opened"
        )
    consultation.concern_report_open_case(actor=handler, report=report)
    with pytest.raises(Conflict):
        consultation.concern_report_open_case(actor=handler, report=report)
    assert Case.objects.filter(concern_reports=report).count() == 1


def test_who_may_report_and_where_to(intake: Org) -> None:
    with pytest.raises(DisclosureRefused) as error:
        # The teacher does not work in the region's unit.
        submit(intake, reporter_unit=intake.units["region"])
    assert error.value.code == "concern_not_reporter"
    with pytest.raises(DisclosureRefused) as error:
        # Social services cannot report to their own receiving unit.
        submit(intake, actor=intake.user("norr_officer"), reporter_unit=intake.units["norr"])
    assert error.value.code == "own_unit"
    motala = intake.units["bou"].agency.municipality
    with pytest.raises(Invalid, match="tar ännu inte emot"):
        submit(intake, municipality=motala)
    with pytest.raises(Invalid):
        submit(intake, child_personnummer="20100520-0000")
    with pytest.raises(Invalid):
        submit(intake, text=" ")
    assert not ConcernReport.objects.exists()
    assert not AuditEvent.objects.filter(action="concern.submitted").exists()


def test_only_a_unit_of_the_municipalitys_social_services_receives(intake: Org) -> None:
    norrkoping = municipality(intake, "norr")
    with pytest.raises(Invalid):
        consultation.concern_intake_set(
            actor=None, municipality=norrkoping, unit=intake.units["skola"]
        )
    with pytest.raises(Forbidden):
        consultation.concern_intake_set(
            actor=intake.user("teacher"), municipality=norrkoping, unit=intake.units["norr"]
        )
    services.membership_grant(
        actor=None, user=intake.user("nurse"), unit=intake.units["region"], role="case_officer"
    )
    report = submit(intake, actor=intake.user("nurse"), reporter_unit=intake.units["region"])
    assert report.reporter_unit.agency.kind == "health"
