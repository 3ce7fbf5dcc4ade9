"""The anonymiser: from a case text and the case's identifiers to a redacted draft.

``redact`` is the one engine behind every anonymised brief, the redaction preview,
``manage.py redact`` and the check of messages in anonymised rooms. It is plain Python
(no Django), works on the input text without normalising it, so every offset it reports
is an offset into the input, and it errs on the side of removing.

How overlaps are resolved: findings that overlap form one cluster; the whole cluster is
removed (no half of a number survives) and is named after its longest finding, ties going
to what the case registers, then to generalisations, then to pattern guesses.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from consent.anonymiser import detectors, generalise, registered
from consent.anonymiser.categories import LABELS, Candidate, Source
from consent.anonymiser.data import COMMON_PROPER_NOUNS, Municipality, municipality_named
from consent.anonymiser.identifiers import Identifiers
from consent.anonymiser.rarity import RarityWarning, warnings_for

NAME_LIKE = frozenset({"name", "relative", "child"})
_HYPHEN_AFTER = re.compile(r"[-‐–][A-ZÅÄÖ][^\W\d_]+(?:[:'’]?s)?(?![^\W_])")
_HYPHEN_BEFORE = re.compile(r"(?<![^\W_])[A-ZÅÄÖ][^\W\d_]+[-‐–]$")
# A capitalised word right after a name, inside a sentence, is nearly always its surname.
_SURNAME_AFTER = re.compile(
    r"[ \u00a0]+(?P<word>[A-ZÅÄÖ][a-zåäöéüë]+(?:-[A-ZÅÄÖ][a-zåäöéüë]+)?)(?:[:'’]?s)?(?![^\W_])"
)
_JOINER = re.compile(r"^[\s\-‐–]*$")
_CHILD_JOINER = re.compile(r"^[\s,()]*(?:och|&|samt|\+|respektive)?[\s,()]*$", re.IGNORECASE)
# "barnen Elsa och Oskar": the summary already says they are children.
_CHILDREN_NOUN = re.compile(
    r"(?<![^\W_])(?i:(?:hennes|hans|deras|sina|parets|de|ett|två|tre|fyra|fem|sex|sju|åtta"
    r"|nio|tio|\d{1,2})\s+)?(?i:barnen|barn|döttrarna|sönerna|flickorna|pojkarna|döttrar"
    r"|söner)[\s,:]*$"
)


@dataclass(frozen=True)
class Redaction:
    start: int  # into the input text
    end: int
    category: str
    replacement: str
    reason: str
    source: Source
    # Where the replacement stands in the redacted text, for highlighting.
    output_start: int = 0
    output_end: int = 0

    @property
    def label(self) -> str:
        return LABELS.get(self.category, self.category)

    @property
    def generalised(self) -> bool:
        return self.source is Source.GENERALISED

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "category": self.category,
            "replacement": self.replacement,
        }


@dataclass(frozen=True)
class Segment:
    """A piece of the redacted text: plain, or the replacement of one redaction."""

    text: str
    redaction: Redaction | None = None
    number: int = 0


@dataclass(frozen=True)
class Result:
    text: str
    redactions: tuple[Redaction, ...]
    warnings: tuple[RarityWarning, ...] = ()
    # "Två barn i åldrarna 5–14 år." when the case registers children.
    summary: str = ""
    municipalities: tuple[Municipality, ...] = field(default=(), repr=False)

    def segments(self) -> list[Segment]:
        pieces, position = [], 0
        for number, redaction in enumerate(self.redactions, start=1):
            if redaction.output_start > position:
                pieces.append(Segment(self.text[position : redaction.output_start]))
            pieces.append(
                Segment(self.text[redaction.output_start : redaction.output_end], redaction, number)
            )
            position = redaction.output_end
        if position < len(self.text):
            pieces.append(Segment(self.text[position:]))
        return pieces

    def as_json(self) -> dict[str, Any]:
        """The DESIGN §5.2 output of ``manage.py redact``."""
        return {"text": self.text, "redactions": [r.as_json() for r in self.redactions]}


def redact(
    text: str,
    identifiers: Identifiers | Mapping[str, Any],
    *,
    today: dt.date | None = None,
) -> Result:
    """The text with the case's identifiers removed and the rest generalised.

    ``identifiers`` is the DESIGN §5.2 mapping (or an ``Identifiers``); ``today`` dates
    the children's ages and completes dates written without a year.
    """
    ids = Identifiers.from_mapping(identifiers)
    today = today or dt.date.today()
    candidates = registered.find(text, ids)
    candidates += detectors.find(text)
    candidates += generalise.ages(text)
    candidates += generalise.dates(text, today.year)
    mentions = list(generalise.municipalities(text))
    candidates += [m.candidate for m in mentions]
    chosen = _merge_neighbours(text, resolve(candidates))
    chosen = _summarise_children(text, chosen, ids, today)
    output, redactions = _apply(text, chosen)
    places = _case_municipalities(ids, [m.municipality for m in mentions])
    summary = ""
    if ids.children:
        phrase = generalise.children_phrase(ids.children, today)
        summary = phrase[0].upper() + phrase[1:] + "."
    return Result(
        text=output,
        redactions=tuple(redactions),
        warnings=tuple(warnings_for(output, places)),
        summary=summary,
        municipalities=tuple(places),
    )


def find_identifiers(text: str, identifiers: Identifiers | Mapping[str, Any]) -> list[Redaction]:
    """Identifiers in a text that must not be shared: the case's own, and any number,
    e-mail or address by its shape. Guessed names and generalisations are left out, so
    that a message naming a colleague or a meeting date is not refused.
    """
    ids = Identifiers.from_mapping(identifiers)
    candidates = registered.find(text, ids)
    candidates += detectors.find(text, include_guessed_names=False)
    candidates = [c for c in candidates if c.source is Source.CASE or c.category != "school"]
    _output, redactions = _apply(text, _merge_neighbours(text, resolve(candidates)))
    return redactions


def resolve(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Non-overlapping spans: each cluster of overlapping findings becomes one."""
    ordered = sorted(candidates, key=lambda c: (c.start, -c.end))
    resolved: list[Candidate] = []
    cluster: list[Candidate] = []
    cluster_end = -1
    for candidate in ordered:
        if cluster and candidate.start >= cluster_end:
            resolved.append(_cluster(cluster))
            cluster = []
        cluster.append(candidate)
        cluster_end = max(cluster_end, candidate.end) if len(cluster) > 1 else candidate.end
    if cluster:
        resolved.append(_cluster(cluster))
    return resolved


def _cluster(cluster: list[Candidate]) -> Candidate:
    winner = min(cluster, key=lambda c: (-c.length, c.rank, c.start))
    start = min(c.start for c in cluster)
    end = max(c.end for c in cluster)
    if start == winner.start and end == winner.end:
        return winner
    return Candidate(
        start,
        end,
        winner.category,
        winner.replacement,
        winner.reason,
        winner.source,
        winner.child,
    )


def _merge_neighbours(text: str, chosen: list[Candidate]) -> list[Candidate]:
    """One replacement for one thing: "Lina Maria Andersson" is one "[namn]", and the
    unregistered half of a hyphenated name, or the surname after a known given name, goes
    with the part that was found."""
    extended = []
    for candidate in chosen:
        if candidate.category in NAME_LIKE:
            start, end = candidate.start, candidate.end
            after = _HYPHEN_AFTER.match(text, end)
            if after:
                end = after.end()
            surname = _SURNAME_AFTER.match(text, end)
            if surname and _may_be_surname(surname["word"]):
                end = surname.end()
            before = _HYPHEN_BEFORE.search(text[max(0, start - 40) : start])
            if before:
                start -= len(before.group())
            candidate = _with_span(candidate, start, end)
        extended.append(candidate)
    merged: list[Candidate] = []
    for candidate in resolve(extended):
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.category == candidate.category
            and previous.replacement == candidate.replacement
            and previous.source is not Source.GENERALISED
            and _JOINER.match(text[previous.end : candidate.start])
            and not (previous.child is not None and previous.child != candidate.child)
        ):
            merged[-1] = _with_span(previous, previous.start, candidate.end)
            continue
        merged.append(candidate)
    return merged


def _may_be_surname(word: str) -> bool:
    return word not in COMMON_PROPER_NOUNS and municipality_named(word) is None


def _with_span(candidate: Candidate, start: int, end: int) -> Candidate:
    return Candidate(
        start,
        end,
        candidate.category,
        candidate.replacement,
        candidate.reason,
        candidate.source,
        candidate.child,
    )


def _summarise_children(
    text: str, chosen: list[Candidate], ids: Identifiers, today: dt.date
) -> list[Candidate]:
    """ "Elsa (10 år) och Oskar (7 år)" becomes "två barn i åldrarna 5–14 år"."""
    if len(ids.children) < 2:
        return chosen
    result: list[Candidate] = []
    index = 0
    while index < len(chosen):
        run_end = index
        children = {chosen[index].child} if chosen[index].category == "child" else set()
        while run_end + 1 < len(chosen) and children:
            following = chosen[run_end + 1]
            gap = text[chosen[run_end].end : following.start]
            if following.category not in ("child", "age") or not _CHILD_JOINER.match(gap):
                break
            if following.category == "child":
                children.add(following.child)
            run_end += 1
        known = {c for c in children if c is not None}
        if len(known) >= 2:
            start, end = chosen[index].start, chosen[run_end].end
            end = _close_brackets(text, start, end)
            phrase = generalise.children_phrase([ids.children[c] for c in sorted(known)], today)
            noun = _CHILDREN_NOUN.search(text[max(0, start - 30) : start])
            if noun:
                start -= len(noun.group())
                if text[start].isupper():
                    phrase = phrase[0].upper() + phrase[1:]
            result.append(
                Candidate(
                    start,
                    end,
                    "children",
                    phrase,
                    "Barnens namn och åldrar ersatta med antal och åldersintervall",
                    Source.GENERALISED,
                )
            )
            index = run_end + 1
            continue
        result.append(chosen[index])
        index += 1
    return result


def _close_brackets(text: str, start: int, end: int) -> int:
    open_count = text[start:end].count("(") - text[start:end].count(")")
    while open_count > 0:
        match = re.match(r"\s*\)", text[end:])
        if not match:
            break
        end += match.end()
        open_count -= 1
    return end


def _apply(text: str, chosen: list[Candidate]) -> tuple[str, list[Redaction]]:
    pieces: list[str] = []
    redactions: list[Redaction] = []
    position = 0
    length = 0
    for candidate in sorted(chosen, key=lambda c: c.start):
        before = text[position : candidate.start]
        pieces.append(before)
        length += len(before)
        replacement = candidate.replacement
        pieces.append(replacement)
        redactions.append(
            Redaction(
                start=candidate.start,
                end=candidate.end,
                category=candidate.category,
                replacement=replacement,
                reason=candidate.reason,
                source=candidate.source,
                output_start=length,
                output_end=length + len(replacement),
            )
        )
        length += len(replacement)
        position = candidate.end
    pieces.append(text[position:])
    return "".join(pieces), redactions


def _case_municipalities(ids: Identifiers, mentioned: list[Municipality]) -> list[Municipality]:
    places = {m.code: m for m in mentioned}
    candidates = [ids.municipality] if ids.municipality else []
    for address in ids.addresses:
        candidates.append(registered.parse_address(address).city)
    for name in candidates:
        municipality = municipality_named(name) if name else None
        if municipality is not None:
            places[municipality.code] = municipality
    return list(places.values())
