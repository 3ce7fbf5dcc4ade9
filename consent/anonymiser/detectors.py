"""Finding identifiers the case does not register: someone else's number, e-mail or address.

These are guesses from the shape of the text, so they err on the side of removing: a
ten-digit number that could be a birth date and a serial number is taken for a
personnummer even when its check digit is wrong (a mistyped number still points at a
person), and a capitalised word ending in -gatan is taken for a street.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import luhn

from consent.anonymiser import data
from consent.anonymiser.categories import Candidate, Source, identifier
from coordination import identity

DASHES = r"\-" + "\u2010\u2011\u2012\u2013\u2014"  # for character classes

PERSONNUMMER = re.compile(
    rf"(?<![\d+])(?<!\d[,.])(?P<century>19|20)?(?P<date>\d{{6}})(?P<sep>\s?[{DASHES}+]?\s?)"
    r"(?P<tail>\d{4}|[xX*]{4})(?!\d|[,.]\d)"
)
_PHONE_SEPARATOR = rf"(?:\s?[{DASHES}/.]\s?|\s)?"
PHONE_NATIONAL = re.compile(
    rf"(?<![\w+\-/])(?<!\d[,.])(?:\(0\d{{1,3}}\)\s?\d|0\d)(?:{_PHONE_SEPARATOR}\d){{6,8}}"
    r"(?!\d|[,.]\d)"
)
PHONE_INTERNATIONAL = re.compile(
    rf"(?<![\w+])(?:\+|00)\s?(?P<country>[1-9]\d{{0,2}})\s?(?:\(0\)\s?)?"
    rf"\d(?:{_PHONE_SEPARATOR}\d){{5,11}}(?!\d)"
)
EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]*\w\s?(?:@|\(at\)|\[at\])\s?[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])"
)
POSTAL_SPACED = re.compile(
    r"(?<![\w,.\-])(?:SE-?\s?)?[1-9]\d{2}\s\d{2}(?![\w,.\-])"
    r"(?!\s*(?:kr|kronor|sek|st|%|:-|procent|timmar|dagar|år|månader|mil|km|meter)(?!\w))"
)
POSTAL_COMPACT = re.compile(
    r"(?<![\w,.\-])(?:(?P<se>SE-?\s?)[1-9]\d{4}|[1-9]\d{4}(?=\s+[A-ZÅÄÖ][a-zåäö]))(?![\w,.\-])"
)
POSTAL_LABELLED = re.compile(r"(?i:postnummer|postnr\.?)\s*:?\s*(?P<code>\d{3}\s?\d{2})(?!\d)")
CITY_AFTER_POSTAL = re.compile(r"\s+(?P<city>[A-ZÅÄÖ][a-zåäö]+(?:[ -][A-ZÅÄÖ][a-zåäö]+)?)")

_SUFFIXES = "|".join(sorted(data.STREET_SUFFIXES, key=len, reverse=True))
_APARTMENT = r"(?:\s*,?\s*(?:lgh|lägenhet)\.?\s*(?:nr\.?\s*)?\d{1,5})?"
_HOUSE = rf"\s*\d{{1,4}}(?:(?-i:\s[A-H])|[a-hA-H])?(?![^\W_]){_APARTMENT}"
STREET_WITH_NUMBER = re.compile(
    rf"(?i)(?<![^\W_])[^\W\d_]{{2,}}(?:-[^\W\d_]+)*(?:{_SUFFIXES}){_HOUSE}(?!\d)"
)
STREET_TWO_WORDS = re.compile(
    r"(?<![^\W_])(?:[A-ZÅÄÖ][^\W\d_]+\s+){1,3}"
    r"(?i:väg|gata|gränd|allé|torg|plan|backe|stig|park|gård|hage|led)"
    rf"(?:(?:{_HOUSE})|(?=\s+\d))(?!\d)"
)
STREET_ABBREVIATED = re.compile(
    rf"(?<![^\W_])[A-ZÅÄÖ][^\W\d_]{{3,}}(?:gat|väg|g|v)\.{_HOUSE}(?!\d)"
)
_ALONE = "|".join(sorted(data.STREET_SUFFIXES_ALONE, key=len, reverse=True))
STREET_ALONE = re.compile(rf"(?<![^\W_])(?P<word>[A-ZÅÄÖ][^\W\d_]+(?:{_ALONE}))(?:s|:s)?(?![^\W_])")
_SCHOOL_SUFFIXES = "|".join(sorted(data.SCHOOL_SUFFIXES, key=len, reverse=True))
SCHOOL_ONE_WORD = re.compile(
    rf"(?<![^\W_])(?P<word>[A-ZÅÄÖ][^\W\d_]*(?:-[^\W\d_]+)*(?:{_SCHOOL_SUFFIXES}))"
    r"(?:s|:s)?(?![^\W_])"
)
SCHOOL_NAMED = re.compile(
    r"(?<![^\W_])(?i:förskolan|skolan|fritids(?:hemmet)?|fritidsgården|gymnasiet)"
    r"\s+(?P<name>[A-ZÅÄÖ][^\W\d_]+(?:\s+[A-ZÅÄÖ][^\W\d_]+)?)(?:s)?(?![^\W_])"
)
SCHOOL_TWO_WORDS = re.compile(
    r"(?<![^\W_])(?:[A-ZÅÄÖ][^\W\d_]+\s+){1,2}(?:skola|förskola|gymnasium|friskola)(?![^\W_])"
)
_ENDINGS = "|".join(data.SURNAME_ENDINGS)
SURNAME = re.compile(
    rf"(?<![^\W_])(?P<word>[A-ZÅÄÖ][a-zåäöéü]+(?:{_ENDINGS}))(?:s|:s|')?(?![^\W_])"
)
# "morbror Dragan", "grannen Kent": a capitalised word after a word for a person.
_KIN = (
    "mamma|mamman|pappa|pappan|mor|modern|far|fadern|bror|brodern|brorsan|syster|systern"
    "|syrran|son|sonen|dotter|dottern|make|maken|maka|makan|hustru|hustrun|fru|frun|man|mannen"
    "|sambo|sambon|pojkvän|pojkvännen|flickvän|flickvännen|partner|partnern|exmaken|exmannen"
    "|expartnern|exsambon|morbror|morbrodern|farbror|farbrodern|moster|mostern|faster|fastern"
    "|kusin|kusinen|svåger|svågern|svägerska|svägerskan|svärmor|svärmodern|svärfar|svärfadern"
    "|mormor|farmor|morfar|farfar|granne|grannen|väninna|väninnan|vän|vännen|kompis|kompisen"
    "|kollega|kollegan|chef|chefen|mentor|mentorn|lärare|läraren|kurator|kuratorn|tolk|tolken"
    "|barnet|flickan|pojken|eleven|imam|imamen|präst|prästen"
)
AFTER_KIN = re.compile(
    rf"(?<![^\W_])(?i:{_KIN})[ \u00a0]+(?P<word>[A-ZÅÄÖ][a-zåäöéüë]+(?:-[A-ZÅÄÖ][a-zåäöéüë]+)?)"
    r"(?:[:'’]?s)?(?![^\W_])"
)
GIVEN_NAME = re.compile(
    r"(?<![^\W_])(?P<word>[A-ZÅÄÖ][a-zåäöéüë]+)(?:-(?P<second>[A-ZÅÄÖ][a-zåäöéüë]+))?"
    r"(?:s|:s|')?(?![^\W_])"
)


def _plausible_date(date_part: str) -> bool:
    month, day = int(date_part[2:4]), int(date_part[4:6])
    return 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91)


def personnummer(text: str) -> Iterator[Candidate]:
    for match in PERSONNUMMER.finditer(text):
        date_part, tail, sep = match["date"], match["tail"], match["sep"].strip()
        if not _plausible_date(date_part):
            continue
        plain = not sep and not match["century"]
        # Ten digits starting with 0 and no separator: a phone number unless the check
        # digit says otherwise (children born 2000-2009 start with 0 too).
        phone_like = plain and tail.isdigit() and date_part.startswith("0")
        if phone_like and not luhn.is_valid(date_part + tail):
            continue
        try:
            identity.normalise(match.group().replace(" ", ""))
            reason = "Ser ut som ett personnummer eller samordningsnummer"
        except identity.InvalidIdentityNumber:
            reason = "Liknar ett personnummer (kontrollsiffran stämmer inte, tas bort ändå)"
        yield identifier(match.start(), match.end(), "personnummer", reason, Source.PATTERN)


def phones(text: str) -> Iterator[Candidate]:
    for match in PHONE_NATIONAL.finditer(text):
        yield identifier(
            match.start(), match.end(), "phone", "Ser ut som ett telefonnummer", Source.PATTERN
        )
    for match in PHONE_INTERNATIONAL.finditer(text):
        yield identifier(
            match.start(),
            match.end(),
            "phone",
            "Ser ut som ett telefonnummer (med landsnummer)",
            Source.PATTERN,
        )


def emails(text: str) -> Iterator[Candidate]:
    for match in EMAIL.finditer(text):
        yield identifier(
            match.start(), match.end(), "email", "Ser ut som en e-postadress", Source.PATTERN
        )


def postal_codes(text: str) -> Iterator[Candidate]:
    reason = "Ser ut som ett postnummer"
    ends: list[int] = []
    for match in POSTAL_SPACED.finditer(text):
        ends.append(match.end())
        yield identifier(match.start(), match.end(), "postal_code", reason, Source.PATTERN)
    for match in POSTAL_COMPACT.finditer(text):
        ends.append(match.end())
        yield identifier(match.start(), match.end(), "postal_code", reason, Source.PATTERN)
    for match in POSTAL_LABELLED.finditer(text):
        ends.append(match.end())
        yield identifier(match.start("code"), match.end(), "postal_code", reason, Source.PATTERN)
    for end in ends:
        # The town after a postal code, unless it is a municipality (generalised instead).
        city = CITY_AFTER_POSTAL.match(text, end)
        if city and data.municipality_named(city["city"]) is None:
            yield identifier(
                city.start("city"),
                city.end("city"),
                "place",
                "Ort efter ett postnummer",
                Source.PATTERN,
            )


def addresses(text: str) -> Iterator[Candidate]:
    reason = "Ser ut som en gatuadress"
    for regex in (STREET_WITH_NUMBER, STREET_TWO_WORDS, STREET_ABBREVIATED):
        for match in regex.finditer(text):
            yield identifier(match.start(), match.end(), "address", reason, Source.PATTERN)
    for match in STREET_ALONE.finditer(text):
        if match["word"].casefold() in data.NOT_STREETS:
            continue
        yield identifier(
            match.start(), match.end(), "address", "Ser ut som ett gatunamn", Source.PATTERN
        )


def schools(text: str) -> Iterator[Candidate]:
    reason = "Ser ut som namnet på en skola eller förskola"
    for match in SCHOOL_ONE_WORD.finditer(text):
        if match["word"].casefold() in data.GENERIC_SCHOOLS:
            continue
        yield identifier(match.start(), match.end(), "school", reason, Source.PATTERN)
    for match in SCHOOL_NAMED.finditer(text):
        if match["name"] in data.COMMON_PROPER_NOUNS:
            continue
        yield identifier(match.start(), match.end(), "school", reason, Source.PATTERN)
    for match in SCHOOL_TWO_WORDS.finditer(text):
        yield identifier(match.start(), match.end(), "school", reason, Source.PATTERN)


def names(text: str) -> Iterator[Candidate]:
    """Common given names and typical surnames of people the case does not register."""
    for match in SURNAME.finditer(text):
        if match["word"].casefold() in data.NOT_SURNAMES:
            continue
        if data.municipality_named(match["word"]) is not None:
            continue
        yield identifier(
            match.start(), match.end(), "name", "Ser ut som ett efternamn", Source.PATTERN
        )
    for match in AFTER_KIN.finditer(text):
        word = match["word"]
        if word in data.COMMON_PROPER_NOUNS or data.municipality_named(word) is not None:
            continue
        yield identifier(
            match.start("word"),
            match.end(),
            "name",
            "Ser ut som ett namn (efter ett ord för en person)",
            Source.PATTERN,
        )
    for match in GIVEN_NAME.finditer(text):
        first, second = match["word"], match["second"]
        if first in data.GIVEN_NAMES or (second and second in data.GIVEN_NAMES):
            yield identifier(
                match.start(), match.end(), "name", "Ser ut som ett förnamn", Source.PATTERN
            )


def find(text: str, *, include_guessed_names: bool = True) -> list[Candidate]:
    found: list[Candidate] = []
    for detector in (personnummer, phones, emails, postal_codes, addresses, schools):
        found.extend(detector(text))
    if include_guessed_names:
        found.extend(names(text))
    return found
