"""Offline verification catches every corruption of an export (a transparency-log suite).

One genuine export is made from a real trail (PostgreSQL, checkpoints every 10 entries);
each test corrupts a copy the way a forger or a failing disk would and expects the
verifier to refuse it and name the first broken position. Every check runs twice: from
the file's bytes, as ``python -m audit.verify`` does (entries hashed as they stand in the
file), and from the parsed document alone (canonical form rebuilt); both must agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from hashlib import sha256
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from audit import chain, merkle
from audit import verify as verifier
from audit.chain import CHECKPOINT_FIELDS, HASHED_FIELDS, entry_hash, leaf_bytes, line_head
from audit.verify import Broken, load_public_key, read_document, verify_export
from tests.audit.exports import (
    as_file,
    clone,
    entry_lines,
    export_text,
    mutate,
    new_key,
    populate,
    public_document,
    relink,
    sign_checkpoint,
    sign_series,
    verify_file,
)
from tests.fixtures import build_org, make_case

EVERY = 10

# The export is built once for the module; the mark makes pytest-django create the test
# database for it (and keeps each test's own database use in a rolled-back transaction).
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pristine_text(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """A genuine export file of about a hundred entries; the database is left as it was."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            SAMVERKA={"AUDIT_CHECKPOINT_EVERY": EVERY, "AUDIT_CHECKPOINT_SECONDS": 0}
        ),
        transaction.atomic(),
    ):
        org = build_org()
        case = make_case(org)
        populate(org, case, 60)
        text = export_text()
        transaction.set_rollback(True)
    yield text


@pytest.fixture(scope="module")
def pristine(pristine_text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(pristine_text)
    return data


def check(data: dict[str, Any], **kwargs: Any) -> Any:
    """The verdict on ``data`` written as a file; the same as on the parsed document."""
    from_file = verify_file(as_file(data), **kwargs)
    from_fields = verify_export(clone(data), **kwargs)
    assert (from_file.ok, from_file.position, from_file.message) == (
        from_fields.ok,
        from_fields.position,
        from_fields.message,
    )
    return from_file


def refused_at(data: dict[str, Any], position: int | None, **kwargs: Any) -> str:
    report = check(data, **kwargs)
    assert not report.ok, "a corrupted export passed verification"
    assert report.position == position, report.message
    return str(report.message)


def test_the_genuine_export_is_intact_and_fully_signed(pristine: dict[str, Any]) -> None:
    report = check(clone(pristine))
    assert report.ok, report.message
    n = len(pristine["entries"])
    assert n > 90
    assert report.entries == n == pristine["tree_size"]
    # Every EVERY entries, plus the export's own final checkpoint.
    sizes = [c["tree_size"] for c in pristine["checkpoints"]]
    assert sizes[: n // EVERY] == [EVERY * k for k in range(1, n // EVERY + 1)]
    assert sizes[-1] == n
    assert pristine["entries"][-1]["action"] == "audit.exported"
    assert report.newest == pristine["checkpoints"][-1]
    assert "1–" in report.lines[1]
    # Chained: the newest checkpoint's signature is the one signature checked.
    assert report.signatures_checked == 1
    assert "den senastes signatur (Ed25519) täcker alla" in report.lines[2]


def test_the_checkpoint_roots_are_rfc6962_tree_heads_of_the_entries(
    pristine: dict[str, Any],
) -> None:
    leaves = [merkle.leaf_hash(leaf_bytes(e["hash"])) for e in pristine["entries"]]
    for cp in pristine["checkpoints"]:
        assert cp["root_hash"] == merkle.tree_root(leaves[: cp["tree_size"]]).hex()
        assert cp["head_hash"] == pristine["entries"][cp["tree_size"] - 1]["hash"]


# -- a changed byte in each field ---------------------------------------------------------

ENTRY_FIELDS = [*HASHED_FIELDS, "hash"]


@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize("field", ENTRY_FIELDS)
def test_a_changed_byte_in_any_entry_field_is_found_at_that_entry(
    pristine: dict[str, Any], field: str, where: str
) -> None:
    data = clone(pristine)
    n = len(data["entries"])
    position = {"first": 1, "middle": n // 2 + 3, "last": n}[where]
    entry = data["entries"][position - 1]
    entry[field] = mutate(entry[field])
    refused_at(data, position)


@pytest.mark.parametrize("field", CHECKPOINT_FIELDS)
def test_a_changed_byte_in_any_checkpoint_field_is_found(
    pristine: dict[str, Any], field: str
) -> None:
    # An older checkpoint's signature bytes are not checked in a chained export, by
    # design: the newest signature covers its content through the chain (see
    # test_chained_checkpoints.py). Every other field is covered in every checkpoint.
    middle = len(pristine["checkpoints"]) // 2
    for index in (-1,) if field == "signature" else (0, middle, -1):
        data = clone(pristine)
        cp = data["checkpoints"][index]
        cp[field] = mutate(cp[field])
        report = check(data)
        assert not report.ok
        assert "ontrollpunkt" in report.message


def test_a_changed_public_key_is_found(pristine: dict[str, Any]) -> None:
    data = clone(pristine)
    data["public_key"]["key_id"] = mutate(data["public_key"]["key_id"])
    assert not check(data).ok
    data = clone(pristine)
    pem = data["public_key"]["pem"]
    data["public_key"]["pem"] = pem.replace(pem[40], "A" if pem[40] != "A" else "B", 1)
    assert not check(data).ok


# -- removed, swapped, inserted, duplicated entries -----------------------------------------


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_a_removed_entry_is_found_where_it_was(pristine: dict[str, Any], where: str) -> None:
    data = clone(pristine)
    n = len(data["entries"])
    position = {"start": 1, "middle": n // 2, "end": n}[where]
    del data["entries"][position - 1]
    message = refused_at(data, position)
    assert str(position) in message


def test_a_removed_last_entry_with_the_count_adjusted_is_still_found(
    pristine: dict[str, Any],
) -> None:
    data = clone(pristine)
    n = len(data["entries"])
    del data["entries"][-1]
    data["tree_size"] = n - 1
    message = refused_at(data, n)
    assert "avskuret" in message


def test_swapped_entries_are_found_at_the_first_of_them(pristine: dict[str, Any]) -> None:
    data = clone(pristine)
    k = 33
    entries = data["entries"]
    entries[k - 1], entries[k] = entries[k], entries[k - 1]
    refused_at(data, k)


def test_a_forged_entry_inserted_into_the_chain_is_named(pristine: dict[str, Any]) -> None:
    data = clone(pristine)
    k = 47
    entries = data["entries"]
    forged = clone(entries[k - 1])
    forged["detail"] = {"forged": True}
    forged["hash"] = entry_hash(forged)  # same löpnummer and predecessor as entry k
    entries.insert(k - 1, forged)
    data["tree_size"] += 1
    message = refused_at(data, k)
    assert "infogad" in message


def test_a_forged_entry_with_the_rest_of_the_chain_rewritten_is_caught_by_the_checkpoints(
    pristine: dict[str, Any],
) -> None:
    data = clone(pristine)
    k = 47
    entries = data["entries"]
    entries.insert(k - 1, {**clone(entries[k - 1]), "detail": {"forged": True}})
    relink(entries, k - 1)
    data["tree_size"] += 1
    # Entries 41–50 are covered by the checkpoint over 50: the break lies among them.
    message = refused_at(data, 41)
    assert "41–50" in message


def test_a_forged_entry_appended_after_the_last_checkpoint_is_found(
    pristine: dict[str, Any],
) -> None:
    data = clone(pristine)
    entries = data["entries"]
    forged = {**clone(entries[-1]), "action": "case.viewed"}
    entries.append(forged)
    relink(entries, len(entries) - 1)
    data["tree_size"] += 1
    message = refused_at(data, len(entries))
    assert "signerad kontrollpunkt" in message


def test_a_duplicated_entry_is_found_at_the_copy(pristine: dict[str, Any]) -> None:
    data = clone(pristine)
    k = 20
    data["entries"].insert(k, clone(data["entries"][k - 1]))
    data["tree_size"] += 1
    message = refused_at(data, k + 1)
    assert "dubblerad" in message
    # A copy of an old entry placed later is found where it was put.
    data = clone(pristine)
    data["entries"].insert(70, clone(data["entries"][4]))
    refused_at(data, 71)


# -- the tail cut off, and an older checkpoint presented as the newest ---------------------


def test_a_cut_off_tail_is_found_when_a_checkpoint_covers_it(pristine: dict[str, Any]) -> None:
    data = clone(pristine)
    n = len(data["entries"])
    del data["entries"][n - 5 :]
    data["tree_size"] = n - 5
    message = refused_at(data, n - 4)
    assert "saknas" in message


def _cut_back_to_an_older_checkpoint(pristine: dict[str, Any], size: int) -> dict[str, Any]:
    data = clone(pristine)
    data["entries"] = data["entries"][:size]
    data["checkpoints"] = [c for c in data["checkpoints"] if c["tree_size"] <= size]
    data["tree_size"] = size
    return data


def test_an_older_checkpoint_presented_as_the_newest_is_found_with_a_saved_checkpoint(
    pristine: dict[str, Any],
) -> None:
    newest = clone(pristine["checkpoints"][-1])
    older = _cut_back_to_an_older_checkpoint(pristine, 50)
    # On its own the cut-back export is a consistent older log ...
    assert check(clone(older)).ok
    # ... but not for an auditor who kept last time's newest checkpoint.
    message = refused_at(older, 51, known_checkpoints=[newest])
    assert "äldre kontrollpunkt" in message
    # A saved checkpoint that the export does extend is accepted and counted.
    report = check(clone(pristine), known_checkpoints=[clone(pristine["checkpoints"][2])])
    assert report.ok and report.known_matched == 1


def test_a_saved_checkpoint_that_the_history_no_longer_matches_is_found(
    pristine: dict[str, Any],
) -> None:
    saved = clone(pristine["checkpoints"][3])  # over 40 entries
    data = clone(pristine)
    data["entries"][9]["detail"] = {"rewritten": True}
    relink(data["entries"], 9)
    # The forger re-signs nothing (cannot); the export's own checkpoints already fail,
    # and the saved one is checked against the same entries.
    assert not check(data, known_checkpoints=[saved]).ok


# -- checkpoints signed with another key ------------------------------------------------------


def test_a_checkpoint_signed_with_another_key_is_found(pristine: dict[str, Any]) -> None:
    other = new_key()
    data = clone(pristine)
    # The newest signature is the one that covers the series: it is always checked.
    sign_checkpoint(data["checkpoints"][-1], other, claim_key_id=data["public_key"]["key_id"])
    assert "annan nyckel" in check(data).message
    data = clone(pristine)
    sign_checkpoint(data["checkpoints"][1], other)  # honest about its key id
    report = check(data)
    assert not report.ok
    assert "annan nyckel" in report.message


def test_an_export_re_signed_throughout_with_another_key_fails_against_the_trusted_key(
    pristine: dict[str, Any],
) -> None:
    other = new_key()
    data = clone(pristine)
    data["entries"][5]["detail"] = {"rewritten": True}
    relink(data["entries"], 5)
    leaves = [merkle.leaf_hash(leaf_bytes(e["hash"])) for e in data["entries"]]
    for cp in data["checkpoints"]:
        cp["root_hash"] = merkle.tree_root(leaves[: cp["tree_size"]]).hex()
        cp["head_hash"] = data["entries"][cp["tree_size"] - 1]["hash"]
    sign_series(data["checkpoints"], other)
    data["public_key"] = public_document(other)
    # Internally consistent: only the key the auditor trusts tells it apart ...
    assert check(clone(data)).ok
    trusted, _kid = load_public_key(pristine["public_key"]["pem"])
    report = check(data, trusted_key=trusted)
    assert not report.ok
    assert "betrodda nyckeln" in report.message
    # ... and the genuine export passes against it.
    assert check(clone(pristine), trusted_key=trusted).ok


# -- random single changes --------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in the document that holds a value (leaves and containers)."""
    yield prefix
    if isinstance(value, dict):
        for key in value:
            yield from _paths(value[key], (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def test_every_random_single_change_is_detected(pristine: dict[str, Any]) -> None:
    newest = len(pristine["checkpoints"]) - 1
    signed_places = [
        p
        for p in _paths(pristine)
        if p and p[0] in ("entries", "checkpoints", "public_key") and len(p) >= 2
    ]
    # Not re-checked by design in a chained export (see test_chained_checkpoints.py): the
    # bytes of an older checkpoint's own signature, when only changed.
    unchecked = {("checkpoints", i, "signature") for i in range(newest)}

    @settings(
        max_examples=400,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(place=st.sampled_from(signed_places), how=st.sampled_from(["byte", "drop", "dup"]))
    def one_change(place: tuple[Any, ...], how: str) -> None:
        data = clone(pristine)
        parent = data
        for step in place[:-1]:
            parent = parent[step]
        last = place[-1]
        assume(not (how == "byte" and place in unchecked))
        if how == "byte":
            parent[last] = mutate(parent[last])
        elif how == "drop":
            del parent[last]
        elif isinstance(parent, list):
            parent.insert(last, clone(parent[last]))
        else:
            parent[f"{last}_copy"] = clone(parent[last])
        report = check(data)
        assert not report.ok, (place, how)

    one_change()


# -- the file's own bytes -----------------------------------------------------------------------


def test_each_export_line_is_the_hash_then_the_canonical_bytes_it_covers(
    pristine_text: str, pristine: dict[str, Any]
) -> None:
    lines = entry_lines(pristine_text)
    assert len(lines) == len(pristine["entries"])
    for line, entry in zip(lines, pristine["entries"], strict=True):
        head = line_head(entry["hash"])
        assert line.startswith(head)
        hashed = ("{" + line[len(head) :]).encode()
        assert hashed == chain.canonical(entry)
        assert sha256(hashed).hexdigest() == entry["hash"]
    # The test helper writes the same file as the server.
    assert as_file(pristine).decode().split('"entries":')[1] == pristine_text.split('"entries":')[1]


def test_reading_keeps_the_text_of_each_entry_and_gives_what_json_gives(
    pristine_text: str, pristine: dict[str, Any]
) -> None:
    document = read_document(pristine_text.encode(), "export.json")
    assert document.data == pristine
    assert document.entry_texts == entry_lines(pristine_text)
    # Any other layout reads the same; each text is the entry's exact source.
    other = read_document(json.dumps(pristine, indent=2).encode(), "export.json")
    assert other.data == pristine
    assert other.entry_texts is not None
    assert [json.loads(t) for t in other.entry_texts] == pristine["entries"]
    with pytest.raises(Broken, match="två gånger"):
        read_document(
            pristine_text.replace('"tree_size":', '"tree_size":1,"tree_size":', 1).encode(), "x"
        )
    with pytest.raises(Broken, match="rad 2"):
        read_document(b'{"format": 1,\n "entries": [{}, ]}', "x")
    with pytest.raises(Broken, match="JSON"):
        read_document(pristine_text.encode() + b"{}", "x")


def test_a_genuine_file_is_verified_without_rebuilding_any_canonical_form(
    pristine_text: str, pristine: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilt: list[Any] = []

    def counting(entry: dict[str, Any]) -> str:
        rebuilt.append(entry)
        return entry_hash(entry)

    monkeypatch.setattr(verifier, "entry_hash", counting)
    assert verify_file(pristine_text.encode()).ok
    assert rebuilt == []
    # Without the file's text every entry is rebuilt (and still passes).
    assert verify_export(clone(pristine)).ok
    assert len(rebuilt) == len(pristine["entries"])


def _changed_in_line(line: str, field: str) -> str:
    """The line with one character of ``field``'s value changed (or one added if empty)."""
    start = line.index(f'"{field}":') + len(field) + 3
    if line[start : start + 2] in ('""', "[]", "{}"):
        return (
            line[: start + 1]
            + {'"': "x", "[": '"x"', "{": '"x":1'}[line[start]]
            + line[start + 1 :]
        )
    index = next(i for i in range(start, len(line)) if line[i].isalnum())
    char = line[index]
    if char.isdigit():  # never a leading zero: the line stays JSON
        replacement = str(int(char) + 1) if char != "9" else "8"
    else:
        replacement = "b" if char != "b" else "c"
    return line[:index] + replacement + line[index + 1 :]


@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize("field", ENTRY_FIELDS)
def test_a_changed_character_in_any_field_of_an_entry_line_is_found_at_that_entry(
    pristine_text: str, field: str, where: str
) -> None:
    lines = entry_lines(pristine_text)
    position = {"first": 1, "middle": len(lines) // 2 + 3, "last": len(lines)}[where]
    changed = _changed_in_line(lines[position - 1], field)
    assert changed != lines[position - 1]
    raw = pristine_text.replace(lines[position - 1], changed, 1).encode()
    report = verify_file(raw)
    assert not report.ok, "a changed byte passed verification"
    assert report.position == position, report.message


def test_a_field_given_twice_is_refused_even_when_the_copy_read_last_is_genuine(
    pristine_text: str,
) -> None:
    # A JSON reader that keeps the first copy would show "forged"; Python keeps the last,
    # genuine one, whose canonical form matches the hash.
    lines = entry_lines(pristine_text)
    line = lines[29]
    head = line_head(json.loads(line)["hash"])
    doubled = head + '"actor":"forged",' + line[len(head) :]
    assert json.loads(doubled) == json.loads(line)
    raw = pristine_text.replace(line, doubled, 1).encode()
    report = verify_file(raw)
    assert not report.ok
    assert report.position == 30
    assert "samma fält två gånger" in report.message
    # The parsed document alone cannot tell: json.loads keeps the genuine copy.
    assert verify_export(json.loads(raw)).ok


def test_a_file_re_indented_by_another_tool_still_verifies_and_changes_are_still_found(
    pristine: dict[str, Any],
) -> None:
    assert verify_file(json.dumps(pristine, indent=1, ensure_ascii=True).encode()).ok
    data = clone(pristine)
    data["entries"][20]["actor"] = mutate(data["entries"][20]["actor"])
    report = verify_file(json.dumps(data, indent=1).encode())
    assert not report.ok and report.position == 21, report.message


def test_entry_texts_must_belong_to_the_entries(pristine: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="entry_texts"):
        verify_export(clone(pristine), entry_texts=["{}"])


def test_a_genuine_file_is_checked_in_one_pass_and_a_broken_stretch_entry_by_entry(
    pristine_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    walked: list[tuple[int, int]] = []
    walk = verifier._walk

    def counting(entries: Any, texts: Any, start: int, end: int, *rest: Any) -> str:
        walked.append((start, end))
        return walk(entries, texts, start, end, *rest)

    monkeypatch.setattr(verifier, "_walk", counting)
    assert verify_file(pristine_text.encode()).ok
    assert walked == []
    # One changed byte: the checkpoints' stretches are tried one by one, and only the one
    # that holds it is walked entry by entry; the walk names the entry.
    lines = entry_lines(pristine_text)
    changed = _changed_in_line(lines[24], "actor")
    report = verify_file(pristine_text.replace(lines[24], changed, 1).encode())
    assert not report.ok and report.position == 25, report.message
    assert walked == [(2 * EVERY, 3 * EVERY)]


@pytest.mark.parametrize("stretch", [1, 7, 10, 4096])
def test_stretches_of_any_length_give_the_same_verdicts(
    pristine_text: str, pristine: dict[str, Any], stretch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verifier, "_STRETCH", stretch)
    assert verify_file(pristine_text.encode()).ok
    lines = entry_lines(pristine_text)
    for position in (1, 7, 8, 10, 11, 33, len(lines)):
        changed = _changed_in_line(lines[position - 1], "at")
        report = verify_file(pristine_text.replace(lines[position - 1], changed, 1).encode())
        assert not report.ok and report.position == position, report.message
    # Rewritten from entry 15 on with the links mended: only the tree heads can tell.
    data = clone(pristine)
    data["entries"][14]["actor"] = mutate(data["entries"][14]["actor"])
    relink(data["entries"], 14)
    refused_at(data, 11)


def _own_layout(fields: dict[str, Any]) -> tuple[str, str]:
    """A line in the writer's layout for ``fields`` (whatever they are): hash, line."""
    body = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = sha256(body.encode()).hexdigest()
    return digest, line_head(digest) + body[1:]


def _with_fields_changed(pristine_text: str, changes: dict[int, Any]) -> bytes:
    """The file with the fields of some entries changed and the whole chain mended after
    them, every line still in the writer's own layout (hash first, then sorted fields),
    so only the field names can tell."""
    lines = entry_lines(pristine_text)
    prev = "0" * 64
    for index, line in enumerate(lines):
        fields = json.loads(line)
        del fields["hash"]
        fields["prev_hash"] = prev
        if index + 1 in changes:
            changes[index + 1](fields)
        prev, lines[index] = _own_layout(fields)
    opening = pristine_text[: pristine_text.index('"entries":[\n') + len('"entries":[\n')]
    return (opening + ",\n".join(lines) + "\n]}\n").encode()


def _add(name: str) -> Any:
    return lambda fields: fields.__setitem__(name, "x")


def _drop(name: str) -> Any:
    return lambda fields: fields.pop(name)


def _rename(old: str, new: str) -> Any:
    return lambda fields: fields.__setitem__(new, fields.pop(old))


@pytest.mark.parametrize(
    ("changes", "position", "named"),
    [
        ({23: _add("note")}, 23, "saknas: –; okända: note"),
        ({23: _drop("detail")}, 23, "saknas: detail; okända: –"),
        ({23: _rename("actor", "actr")}, 23, "saknas: actor; okända: actr"),
        # One entry short of a field and another with one too many: together they still
        # hold each documented field, and fifteen fields between them on average.
        ({23: _drop("detail"), 24: _add("note")}, 23, "saknas: detail; okända: –"),
        ({1: _rename("seq", "Seq")}, 1, "saknas: seq; okända: Seq"),
    ],
)
def test_other_field_names_in_the_files_own_layout_are_found_and_named(
    pristine_text: str, changes: dict[int, Any], position: int, named: str
) -> None:
    raw = _with_fields_changed(pristine_text, changes)
    report = verify_file(raw)
    assert not report.ok
    assert report.position == position, report.message
    assert report.message == f"Post {position} har fel fält ({named}).", report.message
    # The stretch check alone refuses it, and passes the same file with its names intact.
    document = read_document(raw, "export.json")
    entries, texts = document.data["entries"], document.entry_texts
    assert verifier._links_in_layout(entries, texts, 0, len(entries), "0" * 64) is None
    intact = read_document(_with_fields_changed(pristine_text, {}), "export.json")
    digests = verifier._links_in_layout(
        intact.data["entries"], intact.entry_texts, 0, len(entries), "0" * 64
    )
    assert digests is not None
    assert [d.hex() for d in digests] == [e["hash"] for e in intact.data["entries"]]


def test_the_stretch_check_refuses_what_is_not_an_entry_with_the_documented_fields(
    pristine_text: str,
) -> None:
    document = read_document(pristine_text.encode(), "export.json")
    entries, texts = document.data["entries"], document.entry_texts
    assert texts is not None
    size = 12
    assert verifier._links_in_layout(entries, texts, 0, size, "0" * 64) is not None
    not_entries: list[Any] = [
        list(entries[4]),  # the documented names, but not an object
        {**entries[4], 5: "x"},  # a name that is not text
        dict(entries[4], note="x"),
        {k: v for k, v in entries[4].items() if k != "fields"},
    ]
    for other in not_entries:
        changed = [*entries[:4], other, *entries[5:size]]
        assert verifier._links_in_layout(changed, texts, 0, size, "0" * 64) is None
