"""Details kept in a brief but made less precise: ages, dates, municipalities, children.

An exact age becomes a band (five years for children, ten for adults), a date its month,
a municipality or locality the part of the county it lies in, and a list of the case's
children their number and age span. Numbers of years that are durations ("i 12 år",
"2 års fängelse") are left as they are.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from consent.anonymiser import data
from consent.anonymiser.categories import Candidate, Source
from consent.anonymiser.identifiers import Child

MAX_AGE = 110


def age_band(age: int) -> tuple[int, int]:
    if age < 20:
        low = age // 5 * 5
        return low, low + 4
    low = age // 10 * 10
    return low, low + 9


def band_of(ages: Sequence[int]) -> str:
    bands = [age_band(a) for a in ages]
    return f"{min(b[0] for b in bands)}–{max(b[1] for b in bands)}"


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _candidate(start: int, end: int, category: str, replacement: str, reason: str) -> Candidate:
    return Candidate(start, end, category, replacement, reason, Source.GENERALISED)


AGE_REASON = "Exakt ålder ersatt med åldersintervall"
AGED = re.compile(
    r"(?i)(?<![\d,.])(?P<age>\d{1,3})\s?[-–]?\s?(?P<word>åring|årig)(?P<suffix>[^\W\d_]*)"
)
YEARS = re.compile(
    r"(?<![\d,.])(?P<ages>\d{1,3}(?:\s*(?:,|och|respektive|resp\.)\s*\d{1,3})*)"
    r"\s+år(?P<genitive>s)?(?![^\W_])"
)
BRACKETED = re.compile(r"(?P<before>[^\W\d_]\s?)\((?P<age>\d{1,3})\)")
# "i 12 år", "efter två år", "för 3 år sedan", "2 års fängelse": durations, not ages.
_DURATION_BEFORE = frozenset(
    [
        "i",
        "på",
        "under",
        "efter",
        "för",
        "om",
        "inom",
        "varje",
        "senaste",
        "sista",
        "första",
        "flera",
        "några",
        "till",
        "ca",
        "cirka",
        "drygt",
        "knappt",
        "nästan",
        "över",
    ]
)
_DURATION_AFTER = frozenset(
    [
        "sedan",
        "senare",
        "tidigare",
        "framåt",
        "bakåt",
        "fängelse",
        "fängelsestraff",
        "tid",
        "lång",
        "långa",
    ]
)
_WORD_BEFORE = re.compile(r"([^\W\d_]+)[\s(]*$")
_WORD_AFTER = re.compile(r"^\s*([^\W\d_]+)")


def _is_duration(text: str, start: int, end: int) -> bool:
    before = _WORD_BEFORE.search(text, max(0, start - 20), start)
    if before and before.group(1).casefold() in _DURATION_BEFORE:
        # "är i 30 år" is rare; "bott här i 30 år" is common.
        return True
    after = _WORD_AFTER.match(text[end : end + 20])
    return bool(after and after.group(1).casefold() in _DURATION_AFTER)


def ages(text: str) -> Iterator[Candidate]:
    for match in AGED.finditer(text):
        age = int(match["age"])
        if age <= MAX_AGE:
            replacement = f"{band_of([age])}-{match['word'].lower()}{match['suffix']}"
            yield _candidate(match.start(), match.end(), "age", replacement, AGE_REASON)
    for match in YEARS.finditer(text):
        numbers = [int(n) for n in re.findall(r"\d+", match["ages"])]
        if any(n > MAX_AGE for n in numbers) or _is_duration(text, match.start(), match.end()):
            continue
        replacement = f"{band_of(numbers)} år{match['genitive'] or ''}"
        yield _candidate(match.start(), match.end(), "age", replacement, AGE_REASON)
    for match in BRACKETED.finditer(text):
        age = int(match["age"])
        if age <= MAX_AGE:
            start = match.start() + len(match["before"])
            yield _candidate(start, match.end(), "age", f"({band_of([age])})", AGE_REASON)


DATE_REASON = "Datum ersatt med månad"
_MONTHS = "|".join(data.MONTHS)
_ABBREVIATIONS = "|".join(sorted(data.MONTH_ABBREVIATIONS, key=len, reverse=True))
_LEAD = r"(?P<lead>(?:(?:mån|tis|ons|tors|fre|lör|sön)dag(?:en|s)?\s+)?(?:den\s+)?)"
NAMED_MONTH = re.compile(
    rf"(?i)(?<![^\W_]){_LEAD}(?<![\d,.])(?P<day>\d{{1,2}})(?:\s*[-–]\s*\d{{1,2}})?(?::e|:a)?"
    rf"\s+(?:(?P<month>{_MONTHS})|(?P<abbreviation>{_ABBREVIATIONS})\.?)"
    r"(?:\s+(?P<year>(?:19|20)\d{2}))?(?![^\W_])"
)
ISO_DATE = re.compile(
    rf"(?i)(?<![^\W_]){_LEAD}(?<![\d\-/.])(?P<year>(?:19|20)\d{{2}})(?P<sep>[-/.])"
    r"(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?![\d])(?![-/.]\d)"
)
DAY_MONTH = re.compile(
    rf"(?i)(?<![^\W_]){_LEAD}(?<![\d/.,:])(?P<day>\d{{1,2}})(?P<sep>[/.])(?P<month>\d{{1,2}})"
    r"(?:(?:(?P=sep)|\s*[-–]\s*)(?P<year>(?:19|20)?\d{2})|\s+(?P<long_year>(?:19|20)\d{2}))?"
    r"(?![\d/])(?!\.\d)(?!\s*(?:dag|timm|tim|del|liter|år|kg|mil|km)(?![^\W_]))"
)


def _month_phrase(month: int, year: int | None, lead: str, original: str) -> str:
    phrase = data.MONTHS[month - 1] + (f" {year}" if year else "")
    if lead.strip():
        phrase = "i " + phrase
    return phrase[0].upper() + phrase[1:] if original[:1].isupper() else phrase


def _year(raw: str | None, reference_year: int | None) -> int | None:
    if not raw:
        return reference_year
    if len(raw) == 2:
        return 2000 + int(raw)
    return int(raw)


def _valid(year: int | None, month: int, day: int) -> bool:
    try:
        dt.date(year or 2000, month, day)
    except ValueError:
        return False
    return True


def dates(text: str, reference_year: int | None) -> Iterator[Candidate]:
    for match in NAMED_MONTH.finditer(text):
        if match["month"]:
            month = data.MONTHS.index(match["month"].lower()) + 1
        else:
            month = data.MONTH_ABBREVIATIONS[match["abbreviation"].lower()]
        year = _year(match["year"], reference_year)
        if _valid(year, month, int(match["day"])):
            phrase = _month_phrase(month, year, match["lead"], match.group())
            yield _candidate(match.start(), match.end(), "date", phrase, DATE_REASON)
    for regex in (ISO_DATE, DAY_MONTH):
        for match in regex.finditer(text):
            month, day = int(match["month"]), int(match["day"])
            raw_year = match["year"] if regex is ISO_DATE else match["year"] or match["long_year"]
            year = _year(raw_year, reference_year)
            if regex is DAY_MONTH and match["sep"] == "." and not raw_year:
                # "12.3" alone is as often a time or a decimal as a date.
                continue
            if 1 <= month <= 12 and _valid(year, month, day):
                phrase = _month_phrase(month, year, match["lead"], match.group())
                yield _candidate(match.start(), match.end(), "date", phrase, DATE_REASON)


MUNICIPALITY_REASON = "Kommun ersatt med del av länet"


@dataclass(frozen=True)
class Mention:
    candidate: Candidate
    municipality: data.Municipality


def _municipality_regex(name: str, *, capital: bool) -> re.Pattern[str]:
    first, rest = re.escape(name[0]), re.escape(name[1:])
    head = first if capital else f"(?i:{first})"
    return re.compile(
        rf"(?<![^\W_]){head}(?i:{rest})(?P<genitive>s)?(?P<kommun>\s+(?i:kommuns?))?(?![^\W_])"
    )


@dataclass(frozen=True)
class _Place:
    regex: re.Pattern[str]
    municipality: data.Municipality
    locality: bool


def _places() -> list[_Place]:
    places = [
        _Place(_municipality_regex(m.name, capital=False), m, False)
        for m in data.municipalities().values()
    ]
    for name, code in data.LOCALITIES.items():
        municipality = data.municipalities().get(code)
        if municipality:
            places.append(_Place(_municipality_regex(name, capital=True), municipality, True))
    return places


def municipalities(text: str) -> Iterator[Mention]:
    for place in _places():
        for match in place.regex.finditer(text):
            kommun = match["kommun"] or ""
            # "Valdemarsviks kommun" is the name; "Motalas" and "Motala kommuns" are genitives.
            if kommun:
                genitive = kommun.strip().lower().endswith("kommuns")
            else:
                genitive = bool(match["genitive"])
            if genitive:
                phrase = "ortens" if place.locality and not kommun else "kommunens"
            elif place.locality and not kommun:
                phrase = f"en ort i {place.municipality.area}"
            else:
                phrase = f"en kommun i {place.municipality.area}"
            if match.group()[:1].isupper() and _starts_sentence(text, match.start()):
                phrase = phrase[0].upper() + phrase[1:]
            candidate = _candidate(
                match.start(), match.end(), "municipality", phrase, MUNICIPALITY_REASON
            )
            yield Mention(candidate, place.municipality)


def _starts_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:\n"


def children_phrase(children: Sequence[Child], today: dt.date) -> str:
    """ "två barn i åldrarna 5–9 år": how many, and the age span when it is known."""
    count = len(children)
    number = data.NUMBER_WORDS[count] if count < len(data.NUMBER_WORDS) else str(count)
    noun = f"{number} barn"
    births = [c.birth_date for c in children if c.birth_date is not None]
    if len(births) != count or not births:
        return noun
    ages = [max(0, age_on(b, today)) for b in births]
    if count == 1:
        return f"{noun} i åldern {band_of(ages)} år"
    return f"{noun} i åldrarna {band_of(ages)} år"
