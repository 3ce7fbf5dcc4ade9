"""A piece of a year's work in Motala and Norrköping, built through the services, for
the statistics, overview and agenda tests: incidents, a same-day styrgrupp with its
actions, a konsultativ grupp presentation with offered support, a referral, a concern
report and the case's counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from coordination import services
from coordination.models import Action, Incident, Meeting, Presentation
from coordination.models_consultation import ConcernReport, Referral, Support
from coordination.services import consultation
from coordination.services import statistics as statistics_services
from tests.coordination.consultation import Konsult, build_konsult
from tests.coordination.styrgrupp import Styrgrupp, build_styrgrupp
from tests.fixtures import Org

VIOLENCE_NOW = 6  # in Motala, this month: shown
THREATS_NOW = 2  # in Motala, this month: "<5"


@dataclass
class Year:
    org: Org
    styrgrupp: Styrgrupp
    konsult: Konsult
    meeting: Meeting
    action_open: Action
    action_done: Action
    presentation: Presentation
    support: Support
    referral: Referral
    report: ConcernReport
    incidents: list[Incident]

    def user(self, name: str) -> Any:
        return self.org.user(name)


def build_year(org: Org) -> Year:
    st = build_styrgrupp(org)
    officer = org.user("officer")
    now = timezone.now()
    incidents = [st.incident]
    for minutes in range(1, VIOLENCE_NOW):
        incidents.append(
            services.incident_register(
                actor=officer,
                case=st.case,
                kind="violence",
                occurred_at=now - dt.timedelta(minutes=minutes),
            )
        )
    for minutes in range(THREATS_NOW):
        incidents.append(
            services.incident_register(
                actor=officer,
                case=st.case,
                kind="threat",
                occurred_at=now - dt.timedelta(minutes=30 + minutes),
            )
        )
    meeting = st.convene()
    services.meeting_open(actor=officer, meeting=meeting)
    today = timezone.localdate()
    action_open = services.action_record(
        actor=officer,
        meeting=meeting,
        owner_unit=org.units["vuxen"],
        owner_person=org.user("vuxen_lead"),
        text="Ordna skyddat boende för Lina och Elsa.",
        due_date=today + dt.timedelta(days=3),
    )
    action_done = services.action_record(
        actor=officer,
        meeting=meeting,
        owner_unit=org.units["bou"],
        text="Inled utredning om Elsa utan dröjsmål.",
        due_date=today,
    )
    services.action_complete(actor=org.user("lead"), action=action_done)
    statistics_services.case_facts_record(
        actor=officer,
        case=st.case,
        children_witnessed=1,
        children_subjected=0,
        adult_subjected=True,
        adult_used_violence=False,
    )

    konsult = build_konsult(org)
    konsult.consent()
    presentation = konsult.book_consented(categories=["identity", "situation", "support"])
    support = consultation.support_record(
        actor=org.user("nurse"),
        presentation=presentation,
        unit=konsult.region,
        text="Samtalsstöd på vårdcentralen inom två veckor.",
    )
    referral = consultation.referral_send(
        actor=org.user("norr_officer"),
        case=konsult.case,
        to_unit=konsult.region,
        basis="consent",
        categories=["identity", "contact", "situation"],
        text="Klienten behöver samtalsstöd.",
        assessment="Klienten har skriftligen samtyckt till remissen.",
        presentation=presentation,
    )
    consultation.referral_accept(actor=org.user("nurse"), referral=referral)
    norrkoping = konsult.norr.agency.municipality
    assert norrkoping is not None
    consultation.concern_intake_set(actor=None, municipality=norrkoping, unit=konsult.norr)
    report = consultation.concern_report_submit(
        actor=org.user("teacher"),
        reporter_unit=konsult.skola,
        municipality=norrkoping,
        child_name="Alva Nilsson",
        text="Alva berättade att pappa slår mamma.",
    )
    return Year(
        org=org,
        styrgrupp=st,
        konsult=konsult,
        meeting=meeting,
        action_open=action_open,
        action_done=action_done,
        presentation=presentation,
        support=support,
        referral=referral,
        report=report,
        incidents=incidents,
    )


@pytest.fixture
def year(org: Org) -> Year:
    return build_year(org)
