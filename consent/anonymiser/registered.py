"""Finding the case's own identifiers wherever and however they are written.

Every identifier becomes a regular expression that is indifferent to case, to the amount
and kind of white space, to invisible characters (soft hyphens, zero-width spaces) and to
composed or decomposed letters (å as one character or as a + ring). Names also match with
the Swedish genitive, part by part, and hyphenated; numbers match in every grouping.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from consent.anonymiser import data
from consent.anonymiser.categories import Candidate, Source, identifier
from consent.anonymiser.identifiers import Identifiers
from coordination import identity

FLAGS = re.IGNORECASE | re.UNICODE
INVISIBLE = "[\u00ad\u200b\u200c\u200d\u2060\ufeff]*"
DASHES = r"\-" + "\u2010\u2011\u2012\u2013\u2014"  # for character classes
# The genitive: Linas, Lina's, LINA:s, and after s, x or z just an apostrophe (Lars').
GENITIVE = r"(?:[:'’´]?s|['’´])?"
WORD_START = r"(?<![^\W_])"
WORD_END = r"(?![^\W_])"
NAME_SEPARATOR = rf"(?:\s*[{DASHES}]\s*|\s+)"
DIGIT_SEPARATOR = rf"[\s.()/{DASHES}]*"


def letter(char: str) -> str:
    """One character, in either Unicode composition."""
    forms = {char, unicodedata.normalize("NFD", char), unicodedata.normalize("NFC", char)}
    if len(forms) == 1:
        return re.escape(char)
    return "(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + ")"


def word(value: str) -> str:
    """A word letter by letter, with invisible characters allowed between the letters."""
    return INVISIBLE.join(letter(c) for c in value)


def phrase(value: str) -> str:
    """Words separated by any white space or hyphen."""
    parts = [p for p in re.split(rf"[\s{DASHES}]+", value.strip()) if p]
    return NAME_SEPARATOR.join(word(p) for p in parts)


def digits(value: str, separator: str = DIGIT_SEPARATOR) -> str:
    return separator.join(value)


def name_parts(name: str) -> list[str]:
    return [p for p in re.split(rf"[\s{DASHES}]+", name.strip()) if len(p.strip(".")) >= 2]


@dataclass(frozen=True)
class Matcher:
    regex: re.Pattern[str]
    category: str
    reason: str
    child: int | None = None

    def find(self, text: str) -> Iterator[Candidate]:
        for match in self.regex.finditer(text):
            if match.end() > match.start():
                yield identifier(
                    match.start(),
                    match.end(),
                    self.category,
                    self.reason,
                    Source.CASE,
                    child=self.child,
                )


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, FLAGS)


def _name_matchers(
    names: tuple[str, ...], category: str, reason: str, *, child: int | None = None
) -> list[Matcher]:
    matchers = []
    for name in names:
        parts = name_parts(name)
        if not parts:
            continue
        variants = {NAME_SEPARATOR.join(word(p) for p in parts)}
        # Each part alone: the first name alone, the surname alone, one half of Lina-Maria.
        variants.update(word(p.rstrip(".")) for p in parts)
        alternatives = "|".join(sorted(variants, key=len, reverse=True))
        pattern = rf"{WORD_START}(?:{alternatives}){GENITIVE}{WORD_END}"
        matchers.append(Matcher(_compile(pattern), category, reason, child))
    return matchers


def personnummer_pattern(number: str) -> str | None:
    """Every way of writing this number, and its birth date on its own."""
    try:
        twelve = identity.normalise(number)
    except identity.InvalidIdentityNumber:
        raw = re.sub(r"\D", "", number)
        if len(raw) not in (10, 12):
            return None
        twelve = raw if len(raw) == 12 else ("19" if raw[:2] > "30" else "20") + raw
    century, date_part, tail = twelve[:2], twelve[2:8], twelve[8:]
    separator = rf"[\s.+{DASHES}]*"
    with_tail = (
        rf"(?:{digits(century, separator)}{separator})?{digits(date_part, separator)}"
        rf"{separator}(?:{digits(tail, separator)}|[xX*]{{4}})"
    )
    day = int(date_part[4:6])
    birth_day = f"{day - 60:02d}" if day > 60 else date_part[4:6]
    # The birth date alone (19850612, 850612, 1985-06-12) still points at the person.
    birth = (
        rf"(?:{century})?{date_part[:2]}[\s.\/{DASHES}]?{date_part[2:4]}"
        rf"[\s.\/{DASHES}]?{birth_day}"
    )
    return rf"(?<![\d+])(?:{with_tail}|{birth})(?!\d)"


def phone_pattern(number: str) -> str | None:
    compact = re.sub(r"[^\d+]", "", number)
    if compact.startswith("+46"):
        national = compact[3:]
    elif compact.startswith("0046"):
        national = compact[4:]
    elif compact.startswith("0"):
        national = compact[1:]
    else:
        national = ""
    national = national.lstrip("0")
    if national and len(national) >= 5:
        prefix = r"(?:(?:\+|00)\s*46\s*(?:\(\s*0\s*\)\s*|0\s*)?|\(\s*\+?46\s*\)\s*|(?:\(\s*)?0)"
        body = digits(national)
        return rf"(?<![\d+]){prefix}{DIGIT_SEPARATOR}{body}(?!\d)"
    foreign = re.sub(r"\D", "", compact)
    if len(foreign) < 6:
        return None
    body = digits(foreign.removeprefix("00"))
    return rf"(?<![\d+])(?:\+\s*|00\s*)?{body}(?!\d)"


def email_pattern(address: str) -> str | None:
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return None
    at_sign = r"\s*(?:@|\(at\)|\[at\]|\s(?:at|snabel-a)\s)\s*"
    dot = r"\s*(?:\.|\(dot\)|\[dot\]|\s(?:dot|punkt)\s)\s*"
    domain_pattern = dot.join(word(p) for p in domain.split("."))
    return rf"(?<![\w.+-]){word(local)}{at_sign}{domain_pattern}(?![\w-])"


_POSTAL = re.compile(r"(?<!\d)(\d{3})\s?(\d{2})(?!\d)")
_HOUSE = re.compile(
    r"^(?P<street>.*?[^\W\d_])\s*(?P<number>\d{1,4})\s*(?P<letter>[A-Za-z](?![^\W_]))?"
    r"(?P<rest>.*)$"
)


@dataclass(frozen=True)
class Address:
    street: str
    number: str
    letter: str
    postal_code: str
    city: str


def parse_address(value: str) -> Address:
    """Street, house number, postal code and city out of one free-form address line."""
    postal = _POSTAL.search(value)
    postal_code, city = "", ""
    street_part = value
    if postal:
        postal_code = postal.group(1) + postal.group(2)
        street_part = value[: postal.start()]
        city = value[postal.end() :].strip(" ,")
    elif "," in value:
        street_part, _, city = value.partition(",")
        city = city.strip()
    street_part = street_part.strip(" ,")
    house = _HOUSE.match(street_part)
    if house:
        return Address(
            street=house.group("street").strip(),
            number=house.group("number"),
            letter=house.group("letter") or "",
            postal_code=postal_code,
            city=city,
        )
    return Address(street=street_part, number="", letter="", postal_code=postal_code, city=city)


# How street names are shortened in notes: Storg. 12, Folkungav. 22.
_ABBREVIATIONS = {
    "gatan": ("gat.", "g.", "g"),
    "vägen": ("väg.", "v.", "v"),
    "gränd": ("gr.",),
    "allén": ("all.",),
}


def _abbreviated(street: str) -> str:
    """The street's usual abbreviations (never matching nothing: the full name if none)."""
    lowered = street.casefold()
    for suffix, forms in _ABBREVIATIONS.items():
        if lowered.endswith(suffix) and len(street) > len(suffix) + 1:
            stem = phrase(street[: -len(suffix)])
            return "(?:" + "|".join(stem + re.escape(form) for form in forms) + ")"
    return phrase(street)


def _address_matchers(addresses: tuple[str, ...]) -> list[Matcher]:
    matchers = []
    for value in addresses:
        address = parse_address(value)
        if len(address.street) >= 3:
            street = phrase(address.street)
            abbreviated = _abbreviated(address.street)
            apartment = r"(?:\s*,?\s*(?:lgh|lägenhet)\.?\s*(?:nr\.?\s*)?\d{1,5})?"
            if address.number:
                # The house letter is optional either way: "Storgatan 12" is still the place.
                letters = "(?-i:\\s?[A-H])|[a-hA-H]"
                if address.letter:
                    letters += rf"|\s*{re.escape(address.letter)}"
                house = rf"\s*{address.number}(?:{letters})?(?![^\W_]){apartment}"
                matchers.append(
                    Matcher(
                        _compile(rf"{WORD_START}(?:{street}|{abbreviated}){house}(?!\d)"),
                        "address",
                        "Ärendets adress",
                    )
                )
            matchers.append(
                Matcher(
                    _compile(rf"{WORD_START}{street}{GENITIVE}{WORD_END}"),
                    "address",
                    "Gatan i ärendets adress",
                )
            )
        if address.postal_code:
            code = address.postal_code
            matchers.append(
                Matcher(
                    _compile(rf"(?<!\d){code[:3]}\s*{code[3:]}(?!\d)"),
                    "postal_code",
                    "Ärendets postnummer",
                )
            )
        if address.city and data.municipality_named(address.city) is None:
            # A known municipality is generalised to its county part instead.
            matchers.append(
                Matcher(
                    _compile(rf"{WORD_START}{phrase(address.city)}{GENITIVE}{WORD_END}"),
                    "place",
                    "Orten i ärendets adress",
                )
            )
    return matchers


def _school_matchers(schools: tuple[str, ...]) -> list[Matcher]:
    matchers = []
    suffixes = sorted(data.SCHOOL_SUFFIXES, key=len, reverse=True)
    for school in schools:
        variants = {phrase(school)}
        stem = ""
        lowered = school.casefold()
        for suffix in suffixes:
            if lowered.startswith(suffix + " "):
                stem = school[len(suffix) + 1 :].strip()
                break
            if lowered.endswith(suffix) and len(school) > len(suffix):
                stem = school[: -len(suffix)].strip(f" {DASHES}")
                break
        if stem:
            bare = stem[:-1] if stem.endswith("s") and len(stem) > 4 else stem
            for form in {stem, bare, bare + "s"}:
                for suffix in ("skolan", "skola", "förskolan", "förskola", "gymnasiet"):
                    variants.add(phrase(form) + rf"[\s{DASHES}]*" + word(suffix))
            variants.add(word("förskolan") + r"\s+" + phrase(bare))
            variants.add(word("skolan") + r"\s+" + phrase(bare))
        alternatives = "|".join(sorted(variants, key=len, reverse=True))
        matchers.append(
            Matcher(
                _compile(rf"{WORD_START}(?:{alternatives}){GENITIVE}{WORD_END}"),
                "school",
                "Ärendets skola",
            )
        )
        if stem:
            bare = stem[:-1] if stem.endswith("s") and len(stem) > 4 else stem
            if len(bare) >= 4 and bare.casefold() not in data.GENERIC_SCHOOLS:
                # The school's name on its own often names the neighbourhood.
                matchers.append(
                    Matcher(
                        _compile(rf"{WORD_START}{phrase(bare)}{GENITIVE}{WORD_END}"),
                        "place",
                        "Namnet på ärendets skola",
                    )
                )
    return matchers


def matchers_for(ids: Identifiers) -> list[Matcher]:
    """One matcher per registered identifier (and per variant that needs its own rule)."""
    matchers: list[Matcher] = []
    matchers += _name_matchers(ids.names, "name", "Ärendets namn")
    for index, child in enumerate(ids.children):
        if child.name:
            matchers += _name_matchers((child.name,), "child", "Namn på ett barn", child=index)
    matchers += _name_matchers(ids.relatives, "relative", "Namn på en anhörig")
    for number in ids.personnummer:
        pattern = personnummer_pattern(number)
        if pattern:
            matchers.append(
                Matcher(_compile(pattern), "personnummer", "Personnummer registrerat i ärendet")
            )
    for phone in ids.phones:
        pattern = phone_pattern(phone)
        if pattern:
            matchers.append(Matcher(_compile(pattern), "phone", "Ärendets telefonnummer"))
    for email in ids.emails:
        pattern = email_pattern(email)
        if pattern:
            matchers.append(Matcher(_compile(pattern), "email", "Ärendets e-postadress"))
    matchers += _address_matchers(ids.addresses)
    matchers += _school_matchers(ids.schools)
    for value in ids.other:
        matchers.append(
            Matcher(
                _compile(rf"(?<![^\W_]){phrase(value)}{GENITIVE}(?![^\W_])"),
                "other",
                "Uppgift registrerad i ärendet",
            )
        )
    return matchers


def find(text: str, ids: Identifiers) -> list[Candidate]:
    found: list[Candidate] = []
    for matcher in matchers_for(ids):
        found.extend(matcher.find(text))
    return found
