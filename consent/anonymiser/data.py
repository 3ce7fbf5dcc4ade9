"""Reference data the anonymiser needs: Östergötland's geography, names and rare details.

Municipality names and county parts come from coordination/data/ostergotland.json, the
same file the demo and forums use; populations and localities are kept here because only
the anonymiser needs them. Populations are rounded (SCB, 2024) and only used to tell a
small municipality from a large one, so a year's change does not matter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_GEOGRAPHY = Path(__file__).resolve().parent.parent.parent / "coordination/data/ostergotland.json"

# Below this many inhabitants, "a woman in her thirties who works as X" may be one person.
SMALL_MUNICIPALITY = 15_000

POPULATION = {
    "0509": 5_300,  # Ödeshög
    "0512": 3_700,  # Ydre
    "0513": 9_900,  # Kinda
    "0560": 5_500,  # Boxholm
    "0561": 11_500,  # Åtvidaberg
    "0562": 22_000,  # Finspång
    "0563": 7_600,  # Valdemarsvik
    "0580": 167_000,  # Linköping
    "0581": 146_000,  # Norrköping
    "0582": 14_900,  # Söderköping
    "0583": 44_000,  # Motala
    "0584": 7_400,  # Vadstena
    "0586": 28_500,  # Mjölby
}

# Localities (tätorter and parishes) that point at one municipality. Names that are also
# ordinary Swedish words (Rök, Horn, Berg, Kisa as a verb) are matched only capitalised.
LOCALITIES = {
    "Borensberg": "0583",
    "Tjällmo": "0583",
    "Godegård": "0583",
    "Klockrike": "0583",
    "Fornåsa": "0583",
    "Skänninge": "0586",
    "Mantorp": "0586",
    "Väderstad": "0586",
    "Borghamn": "0584",
    "Hästholmen": "0509",
    "Österbymo": "0512",
    "Rydsnäs": "0512",
    "Kisa": "0513",
    "Rimforsa": "0513",
    "Malexander": "0560",
    "Strålsnäs": "0560",
    "Grebo": "0561",
    "Falerum": "0561",
    "Rejmyre": "0562",
    "Hällestad": "0562",
    "Lotorp": "0562",
    "Sonstorp": "0562",
    "Ljusfallshammar": "0562",
    "Gusum": "0563",
    "Ringarum": "0563",
    "Ljungsbro": "0580",
    "Malmslätt": "0580",
    "Vikingstad": "0580",
    "Sturefors": "0580",
    "Linghem": "0580",
    "Bestorp": "0580",
    "Åby": "0581",
    "Krokek": "0581",
    "Skärblacka": "0581",
    "Kimstad": "0581",
    "Arkösund": "0581",
    "Vikbolandet": "0581",
    "Svärtinge": "0581",
    "Östra Ryd": "0582",
    "Mogata": "0582",
}


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    county_part: str | None
    population: int

    @property
    def small(self) -> bool:
        return self.population < SMALL_MUNICIPALITY

    @property
    def area(self) -> str:
        """Where the municipality lies, said so that it does not name it."""
        if self.county_part:
            return f"{self.county_part} länsdelen"
        return "Östergötland"


@cache
def municipalities() -> dict[str, Municipality]:
    """Östergötland's municipalities by code."""
    data = json.loads(_GEOGRAPHY.read_text(encoding="utf-8"))
    return {
        m["code"]: Municipality(
            code=m["code"],
            name=m["name"],
            county_part=m.get("county_part"),
            population=POPULATION.get(m["code"], 0),
        )
        for m in data["municipalities"]
    }


def municipality_named(name: str) -> Municipality | None:
    """The municipality with this name or code, or the one a known locality lies in."""
    wanted = name.strip().casefold()
    for municipality in municipalities().values():
        if wanted in (municipality.name.casefold(), municipality.code):
            return municipality
    for locality, code in LOCALITIES.items():
        if wanted == locality.casefold():
            return municipalities().get(code)
    return None


# Common given names, matched only with a capital initial, to catch the names of people
# the case does not register (a neighbour, a new partner). Names that are also ordinary
# words (Bo, Per, Stig, Sten, Maj, Rut, Tor, Sol, Lova, Sanna, Max) are left out on purpose.
GIVEN_NAMES = frozenset(
    [
        "Anna",
        "Eva",
        "Maria",
        "Karin",
        "Kristina",
        "Lena",
        "Sara",
        "Emma",
        "Kerstin",
        "Ingrid",
        "Marie",
        "Malin",
        "Jenny",
        "Hanna",
        "Linda",
        "Elin",
        "Annika",
        "Susanne",
        "Johanna",
        "Sofia",
        "Sofie",
        "Camilla",
        "Carina",
        "Åsa",
        "Helena",
        "Ida",
        "Julia",
        "Ella",
        "Elsa",
        "Alice",
        "Maja",
        "Wilma",
        "Alva",
        "Ebba",
        "Saga",
        "Astrid",
        "Vera",
        "Freja",
        "Olivia",
        "Agnes",
        "Stella",
        "Klara",
        "Signe",
        "Selma",
        "Ines",
        "Nora",
        "Leah",
        "Lina",
        "Linnea",
        "Matilda",
        "Moa",
        "Tilda",
        "Felicia",
        "Emilia",
        "Amanda",
        "Louise",
        "Frida",
        "Therese",
        "Petra",
        "Sandra",
        "Jessica",
        "Josefin",
        "Madeleine",
        "Mikaela",
        "Cecilia",
        "Ulrika",
        "Monica",
        "Birgitta",
        "Margareta",
        "Elisabeth",
        "Gunilla",
        "Ulla",
        "Britt",
        "Inger",
        "Marianne",
        "Lisa",
        "Anneli",
        "Charlotte",
        "Tove",
        "Paulina",
        "Rebecka",
        "Erika",
        "Hedvig",
        "Ronja",
        "Tyra",
        "Nellie",
        "Elvira",
        "Ellen",
        "Ester",
        "Edith",
        "Erik",
        "Lars",
        "Karl",
        "Anders",
        "Johan",
        "Nils",
        "Carl",
        "Mikael",
        "Jan",
        "Hans",
        "Peter",
        "Olof",
        "Lennart",
        "Gunnar",
        "Sven",
        "Fredrik",
        "Daniel",
        "Thomas",
        "Andreas",
        "Stefan",
        "Magnus",
        "Mats",
        "Jonas",
        "Martin",
        "Mattias",
        "Henrik",
        "Niklas",
        "Patrik",
        "Oskar",
        "Oscar",
        "William",
        "Liam",
        "Noah",
        "Hugo",
        "Lucas",
        "Elias",
        "Alexander",
        "Adam",
        "Viktor",
        "Filip",
        "Axel",
        "Leo",
        "Ludvig",
        "Theo",
        "Isak",
        "Emil",
        "Albin",
        "Melvin",
        "Alfred",
        "Vincent",
        "Sixten",
        "Harry",
        "Gustav",
        "Olle",
        "Arvid",
        "Wilhelm",
        "Edvin",
        "Ebbe",
        "Kevin",
        "Robin",
        "Simon",
        "Sebastian",
        "Jesper",
        "Rasmus",
        "Tobias",
        "Joakim",
        "Kristoffer",
        "Christoffer",
        "Marcus",
        "Markus",
        "Dennis",
        "Jimmy",
        "Robert",
        "Roger",
        "Kent",
        "Ulf",
        "Leif",
        "Kjell",
        "Bengt",
        "Göran",
        "Roland",
        "Rolf",
        "Tommy",
        "Håkan",
        "Jörgen",
        "Åke",
        "Ingemar",
        "Bertil",
        "Kenneth",
        "Jonathan",
        "Anton",
        "Samuel",
        "Mohammed",
        "Mohammad",
        "Muhammad",
        "Mohamed",
        "Ahmed",
        "Ahmad",
        "Ali",
        "Omar",
        "Hassan",
        "Hussein",
        "Hussain",
        "Karim",
        "Mustafa",
        "Abdullah",
        "Yusuf",
        "Ibrahim",
        "Khalid",
        "Samir",
        "Jamal",
        "Tariq",
        "Bilal",
        "Hamza",
        "Hamid",
        "Reza",
        "Mehdi",
        "Abdi",
        "Amir",
        "Aryan",
        "Emre",
        "Kemal",
        "Murat",
        "Baran",
        "Fatima",
        "Amina",
        "Aisha",
        "Yasmin",
        "Leila",
        "Layla",
        "Zainab",
        "Nadia",
        "Maryam",
        "Noor",
        "Hiba",
        "Rania",
        "Dalia",
        "Farah",
        "Ayan",
        "Hodan",
        "Ayla",
        "Elif",
        "Zeynep",
        "Dilan",
        "Rojin",
        "Shirin",
        "Parisa",
        "Nasrin",
        "Soraya",
        "Samira",
        "Rahel",
        "Semhar",
        "Yonas",
        "Dawit",
        "Meron",
        "Saba",
    ]
)

# Surname endings that are almost never anything but a surname in running Swedish text.
SURNAME_ENDINGS = ("sson", "qvist", "kvist", "ström", "gren", "berg", "holm", "lund")
NOT_SURNAMES = frozenset(
    {
        "stockholm",
        "åtvidaberg",
        "falkenberg",
        "hallsberg",
        "lindesberg",
        "norberg",
        "katrineholm",
        "boxholm",
        "sandberg",
        "valberg",
    }
)

STREET_SUFFIXES = (
    "gatan",
    "gata",
    "vägen",
    "väg",
    "gränden",
    "gränd",
    "stigen",
    "allén",
    "allé",
    "torget",
    "torg",
    "backen",
    "backe",
    "platsen",
    "plan",
    "leden",
    "stråket",
    "slingan",
    "ringen",
    "kajen",
    "esplanaden",
    "promenaden",
    "gården",
    "hagen",
)
# Suffixes that count without a house number only when the word is capitalised.
STREET_SUFFIXES_ALONE = ("gatan", "vägen", "gränd", "gränden", "stigen", "allén", "torget")
NOT_STREETS = frozenset(
    {
        "halvvägen",
        "omvägen",
        "genvägen",
        "motorvägen",
        "landsvägen",
        "hemvägen",
        "återvägen",
        "utvägen",
        "mellanvägen",
        "huvudgatan",
        "stortorget",
    }
)

SCHOOL_SUFFIXES = ("förskolan", "förskola", "skolan", "skola", "gymnasiet", "gymnasium")
GENERIC_SCHOOLS = frozenset(
    {
        "grundskolan",
        "grundskola",
        "förskolan",
        "förskola",
        "gymnasieskolan",
        "gymnasieskola",
        "särskolan",
        "anpassade",
        "högstadieskolan",
        "mellanstadieskolan",
        "lågstadieskolan",
        "folkhögskolan",
        "kulturskolan",
        "vuxenskolan",
        "friskolan",
        "skolan",
        "skola",
        "gymnasiet",
        "gymnasium",
        "körskolan",
        "trafikskolan",
        "högskolan",
        "specialskolan",
        "hemskolan",
        "sfi-skolan",
    }
)

# Proper nouns that appear in almost every case text and point at nobody.
COMMON_PROPER_NOUNS = frozenset(
    [
        "Polisen",
        "Polismyndigheten",
        "Kvinnojouren",
        "Socialtjänsten",
        "Socialkontoret",
        "Socialnämnden",
        "Region",
        "Regionen",
        "Östergötland",
        "Östergötlands",
        "BUP",
        "BVC",
        "MVC",
        "Migrationsverket",
        "Försäkringskassan",
        "Arbetsförmedlingen",
        "Skatteverket",
        "Kronofogden",
        "Frivården",
        "Kriminalvården",
        "Åklagarmyndigheten",
        "Brottsofferjouren",
        "Barnahus",
        "Bryggan",
        "Sverige",
        "Sveriges",
        "SFI",
        "LVU",
        "LVM",
        "SoL",
        "OSL",
        "FREDA",
        "SARA",
        "PATRIARK",
        "Tingsrätten",
        "Hovrätten",
        "Elevhälsan",
        "Vårdcentralen",
        "Akuten",
        "Barnombudsmannen",
        "Länsstyrelsen",
        "Kvinnofridslinjen",
        "Terrafem",
        "Rädda",
        "Barnen",
        "Stadsmissionen",
        "Irak",
        "Syrien",
        "Somalia",
        "Afghanistan",
        "Eritrea",
        "Turkiet",
        "Iran",
        "Libanon",
        "Etiopien",
        "Polen",
        "Rumänien",
        "Bosnien",
        "Kosovo",
        "Thailand",
        "Ukraina",
        "Ryssland",
        "Danmark",
        "Norge",
        "Finland",
        "Tyskland",
        "Serbien",
        "Kroatien",
        "Montenegro",
        "Albanien",
        "Grekland",
        "Pakistan",
        "Indien",
        "Bangladesh",
        "Marocko",
        "Algeriet",
        "Tunisien",
        "Egypten",
        "Sudan",
        "Jemen",
        "Palestina",
        "Israel",
        "Jordanien",
        "Kurdistan",
        "Tjetjenien",
        "Georgien",
        "Armenien",
        "Uzbekistan",
        "Kina",
        "Vietnam",
        "Filippinerna",
        "Colombia",
        "Chile",
        "Nigeria",
        "Ghana",
        "Kenya",
        "Uganda",
        "Gambia",
        "Spanien",
        "Italien",
        "Frankrike",
        "England",
        "Storbritannien",
        "USA",
        "Europa",
        "Afrika",
        "Asien",
        "Mellanöstern",
        "Facebook",
        "Instagram",
        "Snapchat",
        "WhatsApp",
        "Messenger",
        "TikTok",
        "Google",
        "Swish",
        "Jul",
        "Påsk",
        "Ramadan",
        "Eid",
        "Teams",
        "Skype",
        "BankID",
    ]
)


@dataclass(frozen=True)
class Circumstance:
    """A detail that few people share, named so the warning can say what kind it is."""

    kind: str
    pattern: str


CIRCUMSTANCES: tuple[Circumstance, ...] = (
    # Occupations that few people in a municipality have.
    Circumstance(
        "ett ovanligt yrke",
        r"(?i:präst|pastor|imam|rabbin|kyrkoherde|riksdagsledamot|kommunalråd|politiker"
        r"|borgmästare|journalist|programledare|artist|skådespelare|fotbollsspelare"
        r"|ishockeyspelare|elitidrottare|landslagsspelare|influencer|youtuber|kändis|pilot"
        r"|veterinär|tandläkare|diplomat|ambassadör|konstnär|författare)\w*",
    ),
    Circumstance(
        "ett ovanligt yrke",
        r"(?i:(?:arbetar|jobbar|anställd)\s+som|är)\s+(?i:polis|läkare|åklagare|domare"
        r"|advokat|rektor|barnmorska)(?!\w)",
    ),
    # Diagnoses and disabilities that few share.
    Circumstance("en ovanlig diagnos", r"(?<!\w)(?:ALS|MS|CP)(?!\w)"),
    Circumstance(
        "en ovanlig diagnos",
        r"(?i:cystisk\s+fibros|huntingtons?|muskeldystrofi|dialys|transplant|blind|döv(?!\w)"
        r"|dövhet|rullstol|cp-skad|downs\s+syndrom|hiv|sällsynt\s+(?:diagnos|sjukdom)"
        r"|amputer|ryggmärgsbråck|tvillingsjukdom)\w*",
    ),
    # Events that others will remember.
    Circumstance(
        "en uppmärksammad händelse",
        r"(?i:uppmärksamma|omskriv|lokaltidning|tidningen\s+skrev|i\s+media|medierna"
        r"|tv-inslag|nyhetsinslag|kidnapp|lottovinst|vann\s+på\s+lotto|branden\s+i"
        r"|den\s+enda\s+i)\w*",
    ),
    # Family constellations few share.
    Circumstance(
        "en ovanlig familjesituation",
        r"(?i:trillingar|fyrlingar|(?:sex|sju|åtta|nio|tio|elva|tolv|[6-9]|1[0-9])\s+barn)"
        r"(?!\w)",
    ),
    # Origins and languages that are rare in a small municipality.
    Circumstance(
        "ett ovanligt ursprung eller språk",
        r"(?i:eritreans|tigrinja|mongoli|uigur|tibetan|jezidi|yazidi|romsk|rohingya|amhariska"
        r"|oromo|pashto|tamil|vietnames|filippinsk|thailändsk|nepales|kinyarwanda)\w*",
    ),
)

MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)
MONTH_ABBREVIATIONS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "okt": 10,
    "nov": 11,
    "dec": 12,
}
NUMBER_WORDS = ("noll", "ett", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio")
