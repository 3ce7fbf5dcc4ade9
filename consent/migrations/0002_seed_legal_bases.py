"""Seeds the catalogue of legal bases for disclosure.

The catalogue is data, not code: the municipality's lawyers own its content and keep it
in step with the law (administrators edit it in the admin; every edit is audited). What
follows is a starting point for their review, not legal advice. Swedish law changes — a
new socialtjänstlag (2025:400) came in 2025 — so statute references and texts are meant
to be edited; the codes stay, because recorded disclosures point at them.
"""

from django.db import migrations

ALL_KINDS = [
    "social_services",
    "school",
    "health",
    "police",
    "womens_shelter",
    "victim_support",
    "probation",
    "prosecutor",
    "other",
]

BASES = [
    {
        "code": "consent",
        "title": "Samtycke från den enskilde",
        "statute_reference": "OSL 12 kap. 2 §",
        "description": (
            "Sekretess till skydd för en enskild kan helt eller delvis hävas av den enskilde. "
            "Samtycket gäller bara de mottagare, uppgifter och ändamål och den tid som den "
            "enskilde har godtagit, och kan när som helst återkallas."
        ),
        "sender_kinds": ALL_KINDS,
        "recipient_kinds": ALL_KINDS,
        "same_agency_only": False,
        "level": "identified",
        "categories": [],
        "requires_consent": True,
        "client_must_be_informed": False,
    },
    {
        "code": "same_authority",
        "title": "Inom samma myndighet och verksamhetsgren",
        "statute_reference": "OSL 8 kap. 1–2 §§",
        "description": (
            "Sekretess gäller mellan myndigheter och mellan självständiga verksamhetsgrenar "
            "inom en myndighet. Inom samma nämnd och verksamhetsgren passeras ingen "
            "sekretessgräns, men uppgifter lämnas ändå bara till den som behöver dem i "
            "arbetet med ärendet. Bedöm om mottagande enhet hör till samma verksamhetsgren."
        ),
        "sender_kinds": ALL_KINDS,
        "recipient_kinds": ALL_KINDS,
        "same_agency_only": True,
        "level": "identified",
        "categories": [],
        "requires_consent": False,
        "client_must_be_informed": False,
    },
    {
        "code": "necessary_disclosure",
        "title": "Nödvändigt utlämnande för den egna verksamheten",
        "statute_reference": "OSL 10 kap. 2 §",
        "description": (
            "Sekretess hindrar inte att en uppgift lämnas ut om det är nödvändigt för att den "
            "utlämnande myndigheten ska kunna fullgöra sin verksamhet. Bestämmelsen tillämpas "
            "restriktivt och ger inte stöd för att lämna ut uppgifter för att mottagaren ska "
            "kunna fullgöra sin verksamhet."
        ),
        "sender_kinds": ALL_KINDS,
        "recipient_kinds": ALL_KINDS,
        "same_agency_only": False,
        "level": "identified",
        "categories": [],
        "requires_consent": False,
        "client_must_be_informed": True,
    },
    {
        "code": "police_prevent_violence",
        "title": "Till polisen för att förhindra våld mot en närstående",
        "statute_reference": "OSL 10 kap. 18 c §",
        "description": (
            "Sekretessen inom hälso- och sjukvården och socialtjänsten hindrar inte att en "
            "uppgift om en enskild eller en närstående lämnas till Polismyndigheten när det "
            "på grund av särskilda omständigheter finns risk för att den enskilde begår ett "
            "allvarligt vålds-, frids- eller sexualbrott mot den närstående, uppgiften kan "
            "antas bidra till att förhindra brottet och det inte är olämpligt med hänsyn till "
            "planerade eller pågående insatser. Gäller inte uppgift om ett redan begånget brott."
        ),
        "sender_kinds": ["social_services", "health"],
        "recipient_kinds": ["police"],
        "same_agency_only": False,
        "level": "identified",
        "categories": [],
        "requires_consent": False,
        "client_must_be_informed": False,
    },
    {
        "code": "police_crime_suspicion",
        "title": "Till polis eller åklagare vid misstanke om brott",
        "statute_reference": "OSL 10 kap. 21–23 §§",
        "description": (
            "Sekretessen hindrar inte att en uppgift som angår misstanke om brott lämnas till "
            "en förundersökningsmyndighet när brottet riktar sig mot någon som inte har fyllt "
            "arton år (21–22 §§), eller när brottet har minst ett års fängelse i straffskalan "
            "eller är försök till brott med minst två års fängelse (23 §). Lagtexten avgör "
            "vilka sekretessbestämmelser som bryts i varje fall."
        ),
        "sender_kinds": ["social_services", "health"],
        "recipient_kinds": ["police", "prosecutor"],
        "same_agency_only": False,
        "level": "identified",
        "categories": [],
        "requires_consent": False,
        "client_must_be_informed": False,
    },
    {
        "code": "health_to_social_child",
        "title": "Hälso- och sjukvård till socialtjänst för ett barns behov",
        "statute_reference": "OSL 25 kap. 12 §",
        "description": (
            "Sekretessen hindrar inte att en uppgift om en enskild eller en närstående lämnas "
            "från hälso- och sjukvården till en annan myndighet inom hälso- och sjukvården "
            "eller till socialtjänsten, om uppgiften behövs för att ge ett underårigt barn "
            "nödvändig vård, behandling eller annat stöd."
        ),
        "sender_kinds": ["health"],
        "recipient_kinds": ["health", "social_services"],
        "same_agency_only": False,
        "level": "identified",
        "categories": [],
        "requires_consent": False,
        "client_must_be_informed": True,
    },
    {
        "code": "social_to_health_child",
        "title": "Socialtjänst till hälso- och sjukvård för ett barns behov",
        "statute_reference": "OSL 26 kap. 9 §",
        "description": (
            "Sekretessen hindrar inte att en uppgift om en enskild eller en närstående lämnas "
            "från socialtjänsten till en annan myndighet inom socialtjänsten eller till "
            "hälso- och sjukvården, om uppgiften behövs för att ge ett underårigt barn "
            "nödvändig vård, behandling eller annat stöd."
        ),
        "sender_kinds": ["social_services"],
        "recipient_kinds": ["social_services", "health"],
        "same_agency_only": False,
        "level": "identified",
        "categories": [],
        "requires_consent": False,
        "client_must_be_informed": True,
    },
    {
        "code": "child_concern_report",
        "title": "Anmälan om oro för ett barn (anmälningsskyldighet)",
        "statute_reference": (
            "Socialtjänstlagen (2025:400) 19 kap. 1 §; tidigare socialtjänstlagen (2001:453) "
            "14 kap. 1 §; uppgiftsskyldighet OSL 10 kap. 28 §"
        ),
        "description": (
            "Myndigheter vars verksamhet berör barn och unga, myndigheter inom hälso- och "
            "sjukvården och socialtjänsten, Polismyndigheten och Kriminalvården med flera, och "
            "de som är anställda där, ska genast anmäla till socialnämnden om de i sin "
            "verksamhet får kännedom om eller misstänker att ett barn far illa, och lämna de "
            "uppgifter som kan ha betydelse för utredningen. Kontrollera paragrafen mot "
            "gällande lydelse."
        ),
        "sender_kinds": [
            "school",
            "health",
            "police",
            "probation",
            "prosecutor",
            "social_services",
            "womens_shelter",
        ],
        "recipient_kinds": ["social_services"],
        "same_agency_only": False,
        "level": "identified",
        "categories": [],
        "requires_consent": False,
        "client_must_be_informed": False,
    },
    {
        "code": "anonymised",
        "title": "Avidentifierade uppgifter",
        "statute_reference": "OSL 25 kap. 1 §, 26 kap. 1 § (uppgiften kan inte knytas till en enskild)",
        "description": (
            "Sekretessen skyddar uppgifter om enskildas personliga förhållanden. En uppgift som "
            "ingen i den mottagande kretsen kan knyta till en viss person omfattas inte. Att "
            "utelämna namnet räcker inte när få personer kan komma i fråga: den som lämnar ut "
            "bedömer att ingen kan identifieras."
        ),
        "sender_kinds": ALL_KINDS,
        "recipient_kinds": ALL_KINDS,
        "same_agency_only": False,
        "level": "anonymised",
        "categories": ["situation", "risk", "health", "support"],
        "requires_consent": False,
        "client_must_be_informed": False,
    },
]


def seed(apps, schema_editor):
    LegalBasis = apps.get_model("consent", "LegalBasis")
    for values in BASES:
        LegalBasis.objects.update_or_create(
            code=values["code"],
            defaults={k: v for k, v in values.items() if k != "code"},
        )


def unseed(apps, schema_editor):
    LegalBasis = apps.get_model("consent", "LegalBasis")
    LegalBasis.objects.filter(code__in=[b["code"] for b in BASES], disclosures=None).delete()


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
