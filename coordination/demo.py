"""Demo data for Östergötland, loaded through the same services as everything else.

Every person and identity here is invented. The county's municipalities and forums come
from ``coordination/data/ostergotland.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from coordination import services
from coordination.models import (
    Agency,
    AgencyKind,
    CaseCategory,
    ForumKind,
    IncidentKind,
    Municipality,
    RiskInstrument,
    RiskLevel,
    Role,
    Unit,
)

DATA_FILE = Path(__file__).resolve().parent / "data" / "ostergotland.json"
DEMO_PASSWORD = "samverka-demo-2026"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    agency: str
    unit: str
    roles: tuple[str, ...]
    lead: bool = False
    deputy: bool = False


MOTALA = "Motala kommun – Socialkontoret"
NORRKOPING = "Norrköpings kommun – Socialtjänsten"
SCHOOL = "Norrköpings kommun – Ekbackeskolan"
EDUCATION_OFFICE = "Norrköpings kommun – Utbildningskontoret"
REGION = "Region Östergötland"
POLICE = "Polisområde Norrköping"

AGENCIES: list[tuple[str, str, str | None, list[str]]] = [
    (
        MOTALA,
        AgencyKind.SOCIAL_SERVICES,
        "0583",
        [
            "Barn och unga",
            "Vuxen",
            "Försörjningsstöd",
            "Funktionsstöd",
            "Ledning och samordning",
            "Socialjour",
        ],
    ),
    (NORRKOPING, AgencyKind.SOCIAL_SERVICES, "0581", ["Barn och familj", "Vuxen", "Samordning"]),
    (SCHOOL, AgencyKind.SCHOOL, "0581", ["Elevhälsan"]),
    (EDUCATION_OFFICE, AgencyKind.SCHOOL, "0581", ["Elevhälsa central"]),
    (
        REGION,
        AgencyKind.HEALTH,
        None,
        ["Primärvård Norrköping", "BUP Norrköping", "Vårdcentral Motala"],
    ),
    (POLICE, AgencyKind.POLICE, None, ["Brott i nära relation"]),
    ("Polisområde Motala", AgencyKind.POLICE, None, ["Brott i nära relation"]),
    ("Kvinnojouren i Motala", AgencyKind.WOMENS_SHELTER, "0583", ["Jouren"]),
    ("Brottsofferjouren Motala", AgencyKind.VICTIM_SUPPORT, "0583", ["Stödverksamhet"]),
    ("Frivården Norrköping", AgencyKind.PROBATION, None, ["Frivård"]),
]

CO, SL, FM = Role.CASE_OFFICER, Role.SECTION_LEAD, Role.FORUM_MEMBER

PEOPLE: list[DemoPerson] = [
    DemoPerson("karin.lind", "Karin", "Lind", MOTALA, "Barn och unga", (SL,), lead=True),
    DemoPerson("per.ek", "Per", "Ek", MOTALA, "Barn och unga", (SL,), deputy=True),
    DemoPerson("sara.berg", "Sara", "Berg", MOTALA, "Barn och unga", (CO,)),
    DemoPerson("jonas.holm", "Jonas", "Holm", MOTALA, "Barn och unga", (CO,)),
    DemoPerson("maria.nystrom", "Maria", "Nyström", MOTALA, "Vuxen", (SL,), lead=True),
    DemoPerson("erik.alm", "Erik", "Alm", MOTALA, "Vuxen", (SL,), deputy=True),
    DemoPerson("lena.sund", "Lena", "Sund", MOTALA, "Vuxen", (CO,)),
    DemoPerson("bengt.forss", "Bengt", "Förss", MOTALA, "Försörjningsstöd", (SL,), lead=True),
    DemoPerson("anna.wik", "Anna", "Wik", MOTALA, "Försörjningsstöd", (SL,), deputy=True),
    DemoPerson("omar.haddad", "Omar", "Haddad", MOTALA, "Försörjningsstöd", (CO,)),
    DemoPerson("eva.strand", "Eva", "Strand", MOTALA, "Funktionsstöd", (SL,), lead=True),
    DemoPerson("nils.ros", "Nils", "Ros", MOTALA, "Funktionsstöd", (SL,), deputy=True),
    DemoPerson(
        "helena.kvist", "Helena", "Kvist", MOTALA, "Ledning och samordning", (Role.COORDINATOR,)
    ),
    DemoPerson("ingrid.lund", "Ingrid", "Lund", MOTALA, "Ledning och samordning", (Role.AUDITOR,)),
    DemoPerson("sofia.ek", "Sofia", "Ek", NORRKOPING, "Barn och familj", (SL,), lead=True),
    DemoPerson("amir.khan", "Amir", "Khan", NORRKOPING, "Barn och familj", (CO, FM)),
    DemoPerson("tove.lag", "Tove", "Lag", NORRKOPING, "Samordning", (Role.COORDINATOR,)),
    DemoPerson("linnea.skog", "Linnea", "Skog", SCHOOL, "Elevhälsan", (FM, CO)),
    DemoPerson("david.ostberg", "David", "Östberg", EDUCATION_OFFICE, "Elevhälsa central", (FM,)),
    DemoPerson("johan.vall", "Johan", "Vall", REGION, "Primärvård Norrköping", (FM, CO)),
    DemoPerson("malin.sjo", "Malin", "Sjö", REGION, "BUP Norrköping", (FM,)),
    DemoPerson("ola.brand", "Ola", "Brand", POLICE, "Brott i nära relation", (FM, CO)),
    DemoPerson("admin", "Alva", "Systemsson", MOTALA, "Ledning och samordning", (Role.ADMIN,)),
    DemoPerson("kim.dahl", "Kim", "Dahl", MOTALA, "Socialjour", (SL,), lead=True),
]

# Invented identities. Numbers are checksum-valid but belong to nobody we know of.
CASES: list[dict[str, Any]] = [
    {
        "agency": MOTALA,
        "unit": "Barn och unga",
        "officers": ["sara.berg", "jonas.holm"],
        "category": CaseCategory.VINR,
        "identity": {
            "name": "Lina Andersson",
            "nicknames": ["Lillan"],
            "personnummer": "19850612-2384",
            "address": {"street": "Storgatan 12", "postal_code": "591 30", "city": "Motala"},
            "phone": "070-123 45 67",
            "email": "lina.andersson@example.se",
            "children": [
                {"name": "Elsa Andersson", "personnummer": "20150822-2385"},
                {"name": "Noah Andersson", "personnummer": "20170402-2381"},
            ],
            "relatives": [{"name": "Mikael Andersson", "relation": "make"}],
            "school": "Charlottenborgsskolan",
        },
        "incident": (IncidentKind.VIOLENCE, "Barnen var hemma när pappan slog mamman."),
        "risk": (RiskInstrument.FREDA_SHORT, RiskLevel.HIGH),
    },
    {
        "agency": MOTALA,
        "unit": "Vuxen",
        "officers": ["lena.sund"],
        "category": CaseCategory.HRV,
        "identity": {
            "name": "Fatima Said",
            "personnummer": "19900215-2388",
            "address": {"street": "Vätterviksgatan 4", "postal_code": "591 40", "city": "Motala"},
            "phone": "+46 73 555 12 34",
            "relatives": [{"name": "Yusuf Said", "relation": "bror"}],
        },
        "incident": (IncidentKind.THREAT, "Hot från familjen efter att hon flyttat hemifrån."),
        "risk": (RiskInstrument.PATRIARK, RiskLevel.MODERATE),
    },
    {
        "agency": MOTALA,
        "unit": "Barn och unga",
        "officers": ["sara.berg"],
        "category": CaseCategory.VINR,
        "protected": True,
        "identity": {
            "name": "Sanna Lindqvist",
            "personnummer": "19880304-2384",
            "address": {"street": "Skyddad adress", "postal_code": "591 99", "city": "Motala"},
            "children": [{"name": "Maja Lindqvist", "personnummer": "20121105-2384"}],
        },
        "incident": (IncidentKind.VIOLENCE, "Ny händelse efter flytt till skyddat boende."),
        "risk": (RiskInstrument.SARA_SV, RiskLevel.HIGH),
    },
    {
        "agency": MOTALA,
        "unit": "Försörjningsstöd",
        "officers": ["omar.haddad"],
        "category": CaseCategory.VINR,
        "identity": {
            "name": "Petra Holmgren",
            "personnummer": "19791130-2383",
            "phone": "0141-22 33 44",
        },
    },
    {
        "agency": NORRKOPING,
        "unit": "Barn och familj",
        "officers": ["amir.khan"],
        "category": CaseCategory.VINR,
        "identity": {
            "name": "Johanna Nilsson",
            "personnummer": "19830707-2382",
            "address": {
                "street": "Drottninggatan 41",
                "postal_code": "602 32",
                "city": "Norrköping",
            },
            "email": "johanna.nilsson@example.se",
            "children": [{"name": "Alva Nilsson", "personnummer": "20100520-2385"}],
            "school": "Ekbackeskolan",
        },
        "incident": (IncidentKind.CHILD_WITNESSED, "Alva berättade för kuratorn om bråk hemma."),
        "risk": (RiskInstrument.FREDA_DANGER, RiskLevel.MODERATE),
    },
]


def demo_loaded() -> bool:
    return get_user_model().objects.filter(username=PEOPLE[0].username).exists()


def load_county() -> None:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    for item in data["municipalities"]:
        services.municipality_upsert(
            actor=None, code=item["code"], name=item["name"], county_part=item["county_part"] or ""
        )


@transaction.atomic
def load() -> None:
    """Load the whole demo once; callers check ``demo_loaded()`` first."""
    load_county()
    units: dict[tuple[str, str], Unit] = {}
    for name, kind, code, unit_names in AGENCIES:
        municipality = Municipality.objects.get(code=code) if code else None
        agency = Agency.objects.filter(name=name).first() or services.agency_create(
            actor=None, name=name, kind=kind, municipality=municipality
        )
        for unit_name in unit_names:
            units[(name, unit_name)] = services.unit_create(
                actor=None, agency=agency, name=unit_name
            )

    users = {}
    for person in PEOPLE:
        user = services.user_create(
            actor=None,
            username=person.username,
            first_name=person.first_name,
            last_name=person.last_name,
            email=f"{person.username}@example.se",
            password=DEMO_PASSWORD,
        )
        if Role.ADMIN in person.roles:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        users[person.username] = user
        for role in person.roles:
            services.membership_grant(
                actor=None, user=user, unit=units[(person.agency, person.unit)], role=role
            )

    for (agency_name, unit_name), unit in units.items():
        members = [p for p in PEOPLE if (p.agency, p.unit) == (agency_name, unit_name)]
        lead = next((users[p.username] for p in members if p.lead), None)
        deputies = [users[p.username] for p in members if p.deputy]
        if lead or deputies:
            services.unit_set_leads(actor=None, unit=unit, lead=lead, deputies=deputies)

    load_styrgrupp(units, users)

    now = timezone.now()
    for number, spec in enumerate(CASES):
        officers = [users[name] for name in spec["officers"]]
        case = services.case_create(
            actor=officers[0],
            unit=units[(spec["agency"], spec["unit"])],
            category=spec["category"],
            protected_identity=spec.get("protected", False),
            officers=officers[1:],
        )
        services.case_identity_register(actor=officers[0], case=case, data=spec["identity"])
        if "incident" in spec:
            kind, text = spec["incident"]
            services.incident_register(
                actor=officers[0],
                case=case,
                kind=kind,
                occurred_at=now - dt.timedelta(hours=3 + number),
                description=text,
            )
        if "risk" in spec:
            instrument, level = spec["risk"]
            services.risk_assessment_add(
                actor=officers[0],
                case=case,
                instrument=instrument,
                assessed_on=timezone.localdate(),
                level=level,
            )

    load_consultation(units, users)
    # Motala's other forums, training, a year of figures and every case's counts.
    from coordination import demo_statistics

    demo_statistics.load(units, users)


STYRGRUPP_SECTIONS = ["Barn och unga", "Vuxen", "Försörjningsstöd", "Funktionsstöd"]
STYRGRUPP_ROUTINE = "Hot och våld i nära relation"
STYRGRUPP_TEXT = (
    "När socialkontoret får kännedom om en händelse med våld eller hot i nära relation kallar "
    "handläggaren samma dag till styrgrupp med sektionscheferna (1:e socialsekreterarna) för "
    "de sektioner där ärendet kan bli aktuellt. Styrgruppen samordnar hur ärendet ska hanteras "
    "och vilket ansvar och vilka beslut varje sektion ska ta. Kan en sektionschef inte komma "
    "delegerar hon eller han till en ersättare. Har sektionen inte svarat inom 15 minuter går "
    "kallelsen till ersättarna, och efter kontorstid till socialjouren."
)
STYRGRUPP_CHECKLIST = [
    {
        "key": "child_witnessed",
        "text": "Har ett barn bevittnat eller utsatts för våld? Då inleder Barn och unga en "
        "utredning utan dröjsmål (SOSFS 2014:4).",
    },
    {
        "key": "protection",
        "text": "Skyddsbedömning: behövs skyddat boende eller annan skyddsåtgärd i dag?",
    },
    {
        "key": "protected_data",
        "text": "Behövs skyddade personuppgifter (sekretessmarkering eller skyddad folkbokföring)?",
    },
    {
        "key": "risk_assessment",
        "text": "Finns en aktuell riskbedömning (FREDA, SARA:SV, PATRIARK)? Vem gör den, och när?",
    },
    {
        "key": "emergency_support",
        "text": "Behövs akut ekonomiskt bistånd från Försörjningsstöd?",
    },
    {
        "key": "police",
        "text": "Är händelsen polisanmäld? Behövs kontaktförbud?",
    },
    {
        "key": "feedback",
        "text": "Vem återkopplar till den enskilde, och när?",
    },
]


def load_styrgrupp(units: dict[tuple[str, str], Unit], users: dict[str, Any]) -> None:
    """Motala's styrgrupp, its routine "Hot och våld i nära relation" and the socialjour."""
    motala = Municipality.objects.get(code="0583")
    forum = services.forum_create(
        actor=None,
        name="Styrgruppen (Hot och våld i nära relation)",
        kind=ForumKind.STEERING_GROUP,
        municipality=motala,
        internal=True,
        member_units=[units[(MOTALA, name)] for name in STYRGRUPP_SECTIONS],
        default_duration_minutes=60,
    )
    services.routine_create(
        actor=None,
        municipality=motala,
        forum=forum,
        name=STYRGRUPP_ROUTINE,
        text=STYRGRUPP_TEXT,
        checklist=STYRGRUPP_CHECKLIST,
        trigger_kinds=[
            IncidentKind.VIOLENCE,
            IncidentKind.THREAT,
            IncidentKind.HONOUR,
            IncidentKind.CHILD_WITNESSED,
        ],
        escalation_minutes=15,
        on_call_unit=units[(MOTALA, "Socialjour")],
        on_call_person=users["kim.dahl"],
    )


def demo_users() -> list[dict[str, Any]]:
    """The demo logins with their roles and units, as ``demo_users --json`` prints them."""
    return [
        {
            "username": person.username,
            "password": DEMO_PASSWORD,
            "name": f"{person.first_name} {person.last_name}",
            "roles": [str(role) for role in person.roles],
            "units": [f"{person.agency} – {person.unit}"],
        }
        for person in PEOPLE
    ]


# Norrköping's forums (DESIGN.md §2.2): names and kinds from the data file, members and
# recurrence (RFC 5545, local time) here.
CONSULTATION_FORUMS: dict[str, dict[str, Any]] = {
    "Konsultativ grupp rörande VINR": {
        "units": [
            (SCHOOL, "Elevhälsan"),
            (REGION, "Primärvård Norrköping"),
            (REGION, "BUP Norrköping"),
            (NORRKOPING, "Barn och familj"),
        ],
        "recurrence": "FREQ=WEEKLY;BYDAY=TH;BYHOUR=13;BYMINUTE=0",
        "minutes": 60,
    },
    "Polis och socialtjänst (skyddsärenden, kontaktförbud)": {
        "units": [
            (POLICE, "Brott i nära relation"),
            (NORRKOPING, "Barn och familj"),
            (NORRKOPING, "Vuxen"),
        ],
        # About twice a term.
        "recurrence": "FREQ=WEEKLY;INTERVAL=8;BYDAY=TU;BYHOUR=9;BYMINUTE=0",
        "minutes": 90,
    },
    "Konsultationsgrupp primärvård–socialtjänst–utbildningskontoret": {
        "units": [
            (REGION, "Primärvård Norrköping"),
            (NORRKOPING, "Barn och familj"),
            (EDUCATION_OFFICE, "Elevhälsa central"),
        ],
        "recurrence": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;BYHOUR=14;BYMINUTE=0",
        "minutes": 60,
    },
}
KONSULTATIV_GRUPP = "Konsultativ grupp rörande VINR"


def load_consultation(units: dict[tuple[str, str], Unit], users: dict[str, Any]) -> None:
    """Norrköping's three forums scheduled ahead, who receives concern reports, and the
    client's consent on the Norrköping case to the konsultativ grupp and the region."""
    from consent import services as consent_services
    from consent.models import GivenHow, PurposeCode
    from coordination.models import Case, Forum
    from coordination.services import consultation

    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    norrkoping = Municipality.objects.get(code="0581")
    forums: dict[str, Forum] = {}
    for item in data["forums_in_the_report"]:
        spec = CONSULTATION_FORUMS.get(item["name"])
        if item["municipality"] != "0581" or spec is None:
            continue
        forums[item["name"]] = services.forum_create(
            actor=None,
            name=item["name"],
            kind=item["kind"],
            municipality=norrkoping,
            internal=False,
            member_units=[units[key] for key in spec["units"]],
            default_duration_minutes=spec["minutes"],
            recurrence=spec["recurrence"],
        )
        consultation.forum_schedule(actor=None, forum=forums[item["name"]])
    consultation.concern_intake_set(
        actor=None, municipality=norrkoping, unit=units[(NORRKOPING, "Barn och familj")]
    )
    consultation.concern_intake_set(
        actor=None,
        municipality=Municipality.objects.get(code="0583"),
        unit=units[(MOTALA, "Barn och unga")],
    )
    case = Case.objects.filter(owning_unit=units[(NORRKOPING, "Barn och familj")]).first()
    if case is None:
        return
    today = timezone.localdate()
    consent_services.consent_record(
        actor=users["amir.khan"],
        case=case,
        agencies=[Agency.objects.get(name=REGION)],
        forums=[forums[KONSULTATIV_GRUPP]],
        categories=["identity", "contact", "children", "school", "situation", "risk", "support"],
        purpose_code=PurposeCode.COORDINATION,
        given_how=GivenHow.WRITTEN,
        document_reference="SN 2026/0042",
        valid_from=today,
        valid_to=today + dt.timedelta(days=365),
    )
