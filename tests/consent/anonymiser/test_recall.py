"""Recall over the labelled corpus of invented Swedish case texts, and its command."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from consent.anonymiser import recall


@pytest.fixture(scope="module")
def documents() -> list[recall.Document]:
    return recall.load()


@pytest.fixture(scope="module")
def report(documents: list[recall.Document]) -> recall.Report:
    return recall.evaluate(documents)


def test_the_corpus_has_at_least_forty_texts_with_consistent_labels(
    documents: list[recall.Document],
) -> None:
    assert len(documents) >= 40
    assert len({d.id for d in documents}) == len(documents)
    for path in sorted(recall.CORPUS.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        for label in raw["labels"]:
            assert raw["text"][label["start"] : label["end"]] == label["text"], path.name
            assert label["category"] in recall.ORDER, path.name


def test_the_corpus_varies_the_formats_on_purpose(documents: list[recall.Document]) -> None:
    written = {
        (label.category, d.text[label.start : label.end], label.registered)
        for d in documents
        for label in d.labels
    }
    texts = {value for _category, value, _registered in written}
    # Personnummer with plus, space, en dash, century, and a samordningsnummer.
    assert {"870723+9193", "19920817 2057", "960211–1685", "198102286492"} <= texts
    assert "900671-8499" in texts
    # Phones: +46, 0046, (0), dotted, without separators.
    assert {"+46 76 303 30 30", "+46727654321", "0046 72 345 67 89", "+46 (0)70-998 11 22"} <= texts
    assert {"073.919.19.19", "0735550122"} <= texts
    # Names in capitals, lower case, with genitive, hyphenated; addresses in any case.
    assert {"LINA", "olivia strand", "Linas", "Lina-Marias", "STORGATAN  12 B"} <= texts
    # Identifiers of other people, not registered on the case.
    for category in ("phone", "email", "address", "name"):
        assert any(c == category and not registered for c, _v, registered in written)


def test_recall_is_complete_for_numbers_and_email(report: recall.Report) -> None:
    for category in ("personnummer", "phone", "email"):
        assert report.tallies[category].labelled >= 25
        assert report.recall(category) == 1.0, [m for m in report.misses if m.category == category]


def test_recall_for_names_addresses_and_schools_meets_the_requirement(
    report: recall.Report,
) -> None:
    for category in ("name", "address", "school"):
        assert report.tallies[category].labelled >= 10
        assert report.recall(category) >= 0.95, [m for m in report.misses if m.category == category]
    assert report.failures() == {}


def test_the_command_prints_recall_per_category_as_a_table(report: recall.Report) -> None:
    out = StringIO()
    call_command("redaction_recall", "--check", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["kategori", "märkta", "borttagna", "recall", "krav"]
    rows = {line.split()[0]: line.split() for line in lines[2:] if line.strip()}
    assert rows["personnummer"][1:4] == [
        str(report.tallies["personnummer"].labelled),
        str(report.tallies["personnummer"].found),
        "1.000",
    ]
    assert f"{report.documents} texter" in out.getvalue()


def test_the_command_prints_json(report: recall.Report) -> None:
    out = StringIO()
    call_command("redaction_recall", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["documents"] == report.documents
    assert payload["categories"]["email"] == {
        "labelled": report.tallies["email"].labelled,
        "removed": report.tallies["email"].found,
        "recall": 1.0,
        "required": 1.0,
    }


def test_the_command_fails_the_check_when_recall_falls_short(tmp_path: Path) -> None:
    text = "Sedan Qwxyz ringde."
    document = {
        "id": "kort",
        "text": text,
        "identifiers": {},
        "labels": [{"start": 6, "end": 11, "category": "name", "text": "Qwxyz"}],
    }
    (tmp_path / "kort.json").write_text(json.dumps(document), encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("redaction_recall", "--check", "--misses", corpus=tmp_path, stdout=out)
    assert error.value.returncode == 1
    assert "name 0.000" in str(error.value)
    assert "'Qwxyz'" in out.getvalue()
