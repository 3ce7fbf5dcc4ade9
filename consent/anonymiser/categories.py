"""What the anonymiser can find: categories, their replacements, and the candidate span.

A candidate is one finding before overlaps are resolved. Its priority breaks ties between
spans of the same length: what the case registers beats a generalisation, which beats a
guess from a pattern (so "Åtvidaberg" is a municipality, not a surname ending in -berg).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Source(enum.StrEnum):
    CASE = "case"  # registered on the case
    PATTERN = "pattern"  # looks like an identifier of someone
    GENERALISED = "generalised"  # kept, but made less precise


REPLACEMENTS = {
    "name": "[namn]",
    "relative": "[anhörig]",
    "child": "[barn]",
    "personnummer": "[personnummer]",
    "phone": "[telefon]",
    "email": "[e-post]",
    "address": "[adress]",
    "postal_code": "[postnummer]",
    "school": "[skola]",
    "place": "[ort]",
    "other": "[uppgift]",
}

# Swedish names of the categories, for the preview table and for error messages.
LABELS = {
    "name": "namn",
    "relative": "anhörigs namn",
    "child": "barns namn",
    "personnummer": "personnummer eller samordningsnummer",
    "phone": "telefonnummer",
    "email": "e-postadress",
    "address": "adress",
    "postal_code": "postnummer",
    "school": "skola",
    "place": "ort",
    "other": "annan uppgift om personen",
    "age": "ålder",
    "date": "datum",
    "municipality": "kommun",
    "children": "barn",
}

# Identifier categories in the order the reasons and error messages list them.
IDENTIFYING = (
    "personnummer",
    "email",
    "phone",
    "address",
    "postal_code",
    "name",
    "child",
    "relative",
    "school",
    "place",
    "other",
)
GENERALISING = ("children", "municipality", "date", "age")

_CASE_PRIORITY = {category: index for index, category in enumerate(IDENTIFYING)}
_GENERALISED_PRIORITY = {category: 20 + index for index, category in enumerate(GENERALISING)}
_PATTERN_PRIORITY = {category: 40 + index for index, category in enumerate(IDENTIFYING)}


def priority(source: Source, category: str) -> int:
    if source is Source.CASE:
        return _CASE_PRIORITY.get(category, 19)
    if source is Source.GENERALISED:
        return _GENERALISED_PRIORITY.get(category, 39)
    return _PATTERN_PRIORITY.get(category, 59)


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    category: str
    replacement: str
    reason: str
    source: Source
    # Which registered child a "[barn]" span names, so runs of children can be summarised.
    child: int | None = None

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def rank(self) -> int:
        return priority(self.source, self.category)


def identifier(
    start: int, end: int, category: str, reason: str, source: Source, *, child: int | None = None
) -> Candidate:
    return Candidate(start, end, category, REPLACEMENTS[category], reason, source, child)
