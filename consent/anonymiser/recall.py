"""How much of what should go does go: recall per category over the labelled corpus.

The corpus (corpus/*.json) holds invented Swedish case texts with every identifier and
every detail to generalise labelled by span and category. A label counts as found when
every character of it that is not white space lies inside some redaction, whatever the
redaction's category: what matters for disclosure is that it is gone.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consent.anonymiser.engine import Result, redact

CORPUS = Path(__file__).resolve().parent / "corpus"

# What the tests hold the engine to (DESIGN and issue 4): numbers and e-mail always.
THRESHOLDS = {
    "personnummer": 1.0,
    "phone": 1.0,
    "email": 1.0,
    "name": 0.95,
    "address": 0.95,
    "school": 0.95,
}
ORDER = (
    "personnummer",
    "phone",
    "email",
    "name",
    "address",
    "postal_code",
    "school",
    "other",
    "age",
    "date",
    "municipality",
)


@dataclass(frozen=True)
class Label:
    start: int
    end: int
    category: str
    registered: bool


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    identifiers: dict[str, Any]
    labels: tuple[Label, ...]
    today: dt.date


@dataclass(frozen=True)
class Miss:
    document: str
    category: str
    start: int
    end: int
    text: str


@dataclass
class Tally:
    labelled: int = 0
    found: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0


@dataclass
class Report:
    documents: int = 0
    tallies: dict[str, Tally] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    # Redactions that overlap no label: over-removal, or a label the corpus lacks.
    unlabelled: int = 0

    def recall(self, category: str) -> float:
        return self.tallies.get(category, Tally()).recall

    def failures(self) -> dict[str, float]:
        return {
            category: self.recall(category)
            for category, threshold in THRESHOLDS.items()
            if self.recall(category) < threshold
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "categories": {
                category: {
                    "labelled": tally.labelled,
                    "removed": tally.found,
                    "recall": round(tally.recall, 4),
                    "required": THRESHOLDS.get(category),
                }
                for category, tally in self._ordered()
            },
            "unlabelled_redactions": self.unlabelled,
        }

    def table(self) -> str:
        rows = [("kategori", "märkta", "borttagna", "recall", "krav")]
        for category, tally in self._ordered():
            required = THRESHOLDS.get(category)
            rows.append(
                (
                    category,
                    str(tally.labelled),
                    str(tally.found),
                    f"{tally.recall:.3f}",
                    f"≥ {required:.2f}" if required is not None else "",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append("")
        lines.append(
            f"{self.documents} texter; {self.unlabelled} borttagningar utan etikett "
            "(överborttagning eller saknad etikett)."
        )
        return "\n".join(lines)

    def _ordered(self) -> list[tuple[str, Tally]]:
        known = [c for c in ORDER if c in self.tallies]
        rest = sorted(c for c in self.tallies if c not in ORDER)
        return [(c, self.tallies[c]) for c in known + rest]


def load(directory: Path = CORPUS) -> list[Document]:
    documents = []
    for path in sorted(directory.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        documents.append(
            Document(
                id=raw["id"],
                text=raw["text"],
                identifiers=raw["identifiers"],
                labels=tuple(
                    Label(
                        label["start"],
                        label["end"],
                        label["category"],
                        label.get("registered", True),
                    )
                    for label in raw["labels"]
                ),
                today=dt.date.fromisoformat(raw.get("today", "2026-03-20")),
            )
        )
    return documents


def covered(text: str, label: Label, spans: Iterable[tuple[int, int]]) -> bool:
    spans = list(spans)
    for position in range(label.start, label.end):
        if text[position].isspace():
            continue
        if not any(start <= position < end for start, end in spans):
            return False
    return True


def evaluate(documents: Iterable[Document]) -> Report:
    report = Report()
    for document in documents:
        report.documents += 1
        result: Result = redact(document.text, document.identifiers, today=document.today)
        spans = [(r.start, r.end) for r in result.redactions]
        for label in document.labels:
            tally = report.tallies.setdefault(label.category, Tally())
            tally.labelled += 1
            if covered(document.text, label, spans):
                tally.found += 1
            else:
                report.misses.append(
                    Miss(
                        document.id,
                        label.category,
                        label.start,
                        label.end,
                        document.text[label.start : label.end],
                    )
                )
        for start, end in spans:
            if not any(label.start < end and start < label.end for label in document.labels):
                report.unlabelled += 1
    return report
