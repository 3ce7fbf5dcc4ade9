"""Warnings that the details left in a brief may together point at one person.

Removing names is not enough where few people could be meant (DESIGN §4.4): in a
municipality of five thousand, "a woman in her thirties who is a priest" is one person.
These are heuristics that prompt the case officer to look again; they never block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from consent.anonymiser import data


@dataclass(frozen=True)
class RarityWarning:
    code: str
    message: str
    # Offsets into the redacted text of the details the warning is about.
    spans: tuple[tuple[int, int], ...] = ()


_CIRCUMSTANCES = [(c.kind, re.compile(c.pattern)) for c in data.CIRCUMSTANCES]
_CAPITALISED = re.compile(r"(?<![^\W_])[A-ZÅÄÖÉ][a-zåäöéüë]+(?:-[A-ZÅÄÖ][a-zåäöéüë]+)?(?![^\W_])")
_SENTENCE_START = frozenset(".!?:;\n•-–—\"”“'(*")


def _population(number: int) -> str:
    rounded = round(number, -2)
    return f"{rounded:,}".replace(",", "\u00a0")


def circumstances(text: str) -> list[tuple[str, tuple[int, int]]]:
    """The rare details in ``text``: (kind, span)."""
    found = []
    for kind, regex in _CIRCUMSTANCES:
        for match in regex.finditer(text):
            found.append((kind, match.span()))
    return sorted(found, key=lambda item: item[1])


def possible_names(text: str) -> list[tuple[int, int]]:
    """Capitalised words inside a sentence that nothing removed: in Swedish, mostly names."""
    spans = []
    for match in _CAPITALISED.finditer(text):
        before = text[: match.start()].rstrip(" \t\u00a0")
        if not before or before[-1] in _SENTENCE_START:
            continue
        if match.group() in data.COMMON_PROPER_NOUNS:
            continue
        if data.municipality_named(match.group()) is not None:
            continue
        spans.append(match.span())
    return spans


def warnings_for(
    redacted: str,
    municipalities: Iterable[data.Municipality],
) -> list[RarityWarning]:
    """Warnings for a redacted text whose case concerns ``municipalities``."""
    warnings: list[RarityWarning] = []
    small = sorted(
        {m.code: m for m in municipalities if m.small}.values(), key=lambda m: m.population
    )
    found = circumstances(redacted)
    kinds = _unique(kind for kind, _span in found)
    spans = tuple(span for _kind, span in found)
    if small and kinds:
        warnings.append(
            RarityWarning(
                "rare_combination",
                f"Ärendet rör en liten kommun (cirka {_population(small[0].population)} "
                f"invånare) och texten nämner {_list(kinds)}. Tillsammans kan det räcka för att "
                "någon i gruppen känner igen personen. Ta bort eller gör beskrivningen mer "
                "allmän innan du delar.",
                spans,
            )
        )
    elif small:
        warnings.append(
            RarityWarning(
                "small_municipality",
                f"Ärendet rör en liten kommun (cirka {_population(small[0].population)} "
                "invånare). Där kan även vanliga detaljer peka ut en person; läs igenom "
                "texten med det i tanken.",
            )
        )
    elif len(found) >= 2 or len(kinds) >= 2:
        warnings.append(
            RarityWarning(
                "rare_details",
                f"Texten nämner {_list(kinds)} ({len(found)} ovanliga detaljer). Tillsammans "
                "kan de peka ut en person även utan namn.",
                spans,
            )
        )
    names = possible_names(redacted)
    if names:
        warnings.append(
            RarityWarning(
                "possible_name",
                f"{_count_words(len(names))} med stor bokstav mitt i en mening kan vara namn "
                "som inte togs bort. Kontrollera de markerade orden.",
                tuple(names),
            )
        )
    return warnings


def _unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " och " + items[-1]


def _count_words(count: int) -> str:
    if count == 1:
        return "Ett ord"
    number = data.NUMBER_WORDS[count] if count < len(data.NUMBER_WORDS) else str(count)
    return f"{number.capitalize()} ord"
