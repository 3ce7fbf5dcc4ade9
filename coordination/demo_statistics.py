"""Demo data for the statistics, the client's overview and the year's agenda: Motala's
other forums with their recurrence, the training events of the year, a year of
incidents in Funktionsstöd's cases (so that the charts have something to show, some of
it under five), one closed styrgrupp with its actions, and every case's counts.

Loaded by ``coordination.demo.load`` after the rest, through the services, so the demo
passes the same validation and audit as real data. Kept to Funktionsstöd's own cases
so that the other demo cases stay as the styrgrupp and konsultativ grupp demos expect.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.utils import timezone

from coordination import services
from coordination.models import Case, ForumKind, IncidentKind, Municipality, Routine, Unit
from coordination.services import agenda as agenda_services
from coordination.services import statistics as statistics_services

MOTALA = "Motala kommun – Socialkontoret"
REGION = "Region Östergötland"
SECTIONS = ["Barn och unga", "Vuxen", "Försörjningsstöd", "Funktionsstöd"]

# Motala's forums from the report (shared/data/ostergotland.json), with their members
# and an RFC 5545 rule in local time.
MOTALA_FORUMS: dict[str, dict[str, Any]] = {
    "Interna gruppen": {
        "units": [(MOTALA, name) for name in SECTIONS],
        "internal": True,
        "recurrence": "FREQ=MONTHLY;BYDAY=1TU;BYHOUR=13;BYMINUTE=0",
        "minutes": 90,
    },
    "Externa gruppen": {
        "units": [
            (MOTALA, "Ledning och samordning"),
            (REGION, "Vårdcentral Motala"),
            ("Kvinnojouren i Motala", "Jouren"),
            ("Brottsofferjouren Motala", "Stödverksamhet"),
            ("Polisområde Motala", "Brott i nära relation"),
        ],
        "internal": False,
        # Twice a term: every eighth week.
        "recurrence": "FREQ=WEEKLY;INTERVAL=8;BYDAY=WE;BYHOUR=9;BYMINUTE=0",
        "minutes": 120,
    },
    "Ledningsgruppen": {
        "units": [(MOTALA, "Ledning och samordning"), *((MOTALA, name) for name in SECTIONS)],
        "internal": True,
        "recurrence": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=30",
        "minutes": 60,
    },
}

# Incidents per month in Funktionsstöd's cases, cycling: (violence, threat, honour,
# witnessed, other). Several months have a kind under five, as a small unit would.
MONTHLY_INCIDENTS = [
    (6, 2, 0, 1, 0),
    (5, 3, 1, 0, 1),
    (8, 1, 0, 2, 0),
    (7, 4, 0, 0, 1),
    (5, 5, 1, 1, 0),
    (9, 2, 0, 3, 1),
]
KINDS = [
    IncidentKind.VIOLENCE,
    IncidentKind.THREAT,
    IncidentKind.HONOUR,
    IncidentKind.CHILD_WITNESSED,
    IncidentKind.OTHER,
]
HISTORY_CASES = 6

# The Linköping counts for the demo cases, by the client's name in the identity vault
# order of coordination.demo.CASES: (witnessed, subjected, adult subjected, adult used).
DEMO_CASE_FACTS = [
    (2, 0, True, False),
    (0, 0, True, False),
    (1, 1, True, False),
    (0, 0, True, False),
    (1, 0, True, False),
]


def _month_starts(now: dt.datetime, months: int) -> list[dt.datetime]:
    """The first day of each of the ``months`` months before the current one, oldest
    first, at ten in the morning local time."""
    local = timezone.localtime(now)
    year, month = local.year, local.month
    found = []
    for _step in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        found.append(local.replace(year=year, month=month, day=1, hour=10, minute=0))
    return list(reversed(found))


def load(units: dict[tuple[str, str], Unit], users: dict[str, Any]) -> None:
    """Everything above; ``units`` and ``users`` as coordination.demo.load made them."""
    motala = Municipality.objects.get(code="0583")
    norrkoping = Municipality.objects.get(code="0581")
    from coordination.demo import DATA_FILE  # imported here: demo imports this module

    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    kinds = {
        item["name"]: item["kind"]
        for item in data["forums_in_the_report"]
        if item["municipality"] == "0583"
    }
    for name, spec in MOTALA_FORUMS.items():
        services.forum_create(
            actor=None,
            name=name,
            kind=kinds.get(name, ForumKind.INTERNAL_GROUP),
            municipality=motala,
            internal=spec["internal"],
            member_units=[units[key] for key in spec["units"]],
            default_duration_minutes=spec["minutes"],
            recurrence=spec["recurrence"],
        )
    _training(users, motala, norrkoping)
    _case_facts(users)
    _history(units, users)


def _training(users: dict[str, Any], motala: Municipality, norrkoping: Municipality) -> None:
    year = timezone.localdate().year
    agenda_services.training_event_create(
        actor=users["helena.kvist"],
        municipality=motala,
        title="Grundutbildning VINR för all personal",
        starts_on=dt.date(year, 10, 14),
        start_time=dt.time(9, 0),
        duration_minutes=420,
        audience="All personal på socialkontoret",
        every_years=2,
    )
    agenda_services.training_event_create(
        actor=users["helena.kvist"],
        municipality=motala,
        title="Rutinen Hot och våld i nära relation för nyanställda",
        starts_on=dt.date(year, 2, 10),
        start_time=dt.time(13, 0),
        duration_minutes=120,
        audience="Nyanställda handläggare och sektionschefer",
        every_years=1,
    )
    agenda_services.training_event_create(
        actor=users["tove.lag"],
        municipality=norrkoping,
        title="Fördjupning: hedersrelaterat våld och förtryck",
        starts_on=dt.date(year, 4, 22),
        audience="Socialtjänst, skola och primärvård",
    )
    agenda_services.training_event_create(
        actor=users["admin"],
        municipality=None,
        title="Länsgemensam nätverksträff om våld i nära relationer",
        starts_on=dt.date(year, 11, 18),
        audience="Samordnare i länets kommuner",
        every_years=1,
    )


def _case_facts(users: dict[str, Any]) -> None:
    cases = list(Case.objects.order_by("created_at").prefetch_related("officers"))
    for case, (witnessed, subjected, adult, used) in zip(cases, DEMO_CASE_FACTS, strict=False):
        officer = case.officers.order_by("username").first()
        if officer is None:
            continue
        statistics_services.case_facts_record(
            actor=officer,
            case=case,
            children_witnessed=witnessed,
            children_subjected=subjected,
            adult_subjected=adult,
            adult_used_violence=used,
        )


def _history(units: dict[tuple[str, str], Unit], users: dict[str, Any]) -> None:
    """Funktionsstöd's cases: a year of incidents, and one styrgrupp held today."""
    unit = units[(MOTALA, "Funktionsstöd")]
    lead = users["eva.strand"]
    now = timezone.now()
    cases = [
        services.case_create(actor=lead, unit=unit, officers=[users["nils.ros"]])
        for _n in range(HISTORY_CASES)
    ]
    number = 0
    for index, month_start in enumerate(_month_starts(now, 12)):
        counts = MONTHLY_INCIDENTS[index % len(MONTHLY_INCIDENTS)]
        for kind, count in zip(KINDS, counts, strict=True):
            for _n in range(count):
                services.incident_register(
                    actor=lead,
                    case=cases[number % HISTORY_CASES],
                    kind=kind,
                    occurred_at=month_start + dt.timedelta(days=number % 27, hours=number % 7),
                )
                number += 1
    for index, case in enumerate(cases):
        statistics_services.case_facts_record(
            actor=lead,
            case=case,
            children_witnessed=index % 3,
            children_subjected=1 if index == 2 else 0,
            adult_subjected=index != 4,
            adult_used_violence=index in (3, 4),
        )
    _styrgrupp(cases[0], unit, lead, users)


def _styrgrupp(case: Case, unit: Unit, lead: Any, users: dict[str, Any]) -> None:
    """A styrgrupp held today about one of Funktionsstöd's cases, with its decisions: the
    overview of that case shows what each section promised."""
    incident = services.incident_register(
        actor=lead,
        case=case,
        kind=IncidentKind.THREAT,
        occurred_at=timezone.now() - dt.timedelta(hours=2),
    )
    routine = Routine.objects.get(municipality__code="0583")
    meeting = services.meeting_convene(
        actor=lead, case=case, routine=routine, units=[unit], incident=incident
    )
    services.meeting_open(actor=lead, meeting=meeting)
    today = timezone.localdate()
    services.action_record(
        actor=lead,
        meeting=meeting,
        owner_unit=unit,
        owner_person=users["nils.ros"],
        text="Se över boendestödet och ge kontaktuppgifter till kvinnojouren.",
        due_date=today + dt.timedelta(days=7),
    )
    done = services.action_record(
        actor=lead,
        meeting=meeting,
        owner_unit=unit,
        text="Gör en ny riskbedömning (FREDA) tillsammans med den enskilde.",
        due_date=today,
    )
    services.action_complete(actor=lead, action=done)
    services.meeting_close(actor=lead, meeting=meeting)
