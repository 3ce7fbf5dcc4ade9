"""Property: an anonymised text contains none of the case's identifiers, however written.

Names, personnummer, phone numbers, e-mail addresses and street addresses are generated,
written in random casing, spacing, grouping and inflection, and embedded in Swedish filler
that itself has no digits and no "@". After redaction no digit and no "@" may remain, and
no word may be a registered name part or street name (with or without the genitive).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn

from consent.anonymiser import redact

TODAY = dt.date(2026, 3, 20)
LETTERS = "abcdefghijklmnoprstuvyåäöéü"
FILLER = [
    "Enligt anmälan har hon utsatts för hot och kontroll under lång tid.",
    "Socialsekreteraren gjorde en skyddsbedömning tillsammans med polisen.",
    "Hon vill inte att familjen får veta var hon befinner sig.",
    "kontakt sker helst via kvinnojouren",
    "maken har tidigare varit dömd för misshandel",
    "Barnen har hörts och en orosanmälan har upprättats.",
    "hon uppger att hon är rädd för sin säkerhet",
    "Ärendet tas upp i styrgruppen.",
    "och",
    "men",
    "enligt",
]
SPACES = [" ", "  ", "\t", "\n", "\u00a0", " \n "]
AROUND = [("", ""), ("(", ")"), ("", ","), ("", "."), ("”", "”"), ("", ":"), ("", ";")]
SUFFIXES = ["gatan", "vägen", "gränd", "stigen", "allén", "torget"]


def _cased(draw: Any, value: str) -> str:
    style = draw(st.sampled_from(["lower", "upper", "title", "random", "as is"]))
    if style == "lower":
        return value.lower()
    if style == "upper":
        return value.upper()
    if style == "title":
        return value.title()
    if style == "random":
        flips = draw(st.lists(st.booleans(), min_size=len(value), max_size=len(value)))
        return "".join(c.upper() if f else c.lower() for c, f in zip(value, flips, strict=True))
    return value


name_part = st.text(alphabet=LETTERS, min_size=2, max_size=9).map(str.capitalize)


@st.composite
def names(draw: Any) -> tuple[str, list[str]]:
    """A registered name and how it is written in the text."""
    parts = draw(st.lists(name_part, min_size=1, max_size=3, unique_by=str.casefold))
    registered = " ".join(parts)
    choice = draw(st.sampled_from(["full", "one"]))
    if choice == "full" and len(parts) > 1:
        separator = draw(st.sampled_from([*SPACES, "-", " - "]))
        written = separator.join(_cased(draw, p) for p in parts)
    else:
        written = _cased(draw, draw(st.sampled_from(parts)))
    written += draw(st.sampled_from(["", "s", "'s", "’s", ":s", "'"]))
    return registered, [written]


@st.composite
def personnummer(draw: Any) -> tuple[str, list[str]]:
    birth = draw(st.dates(dt.date(1930, 1, 1), dt.date(2024, 12, 31)))
    day = birth.day + (60 if draw(st.booleans()) else 0)  # samordningsnummer
    date_part = f"{birth:%y%m}{day:02d}"
    serial = f"{draw(st.integers(0, 999)):03d}"
    check = luhn.calc_check_digit(date_part + serial)
    if draw(st.integers(0, 9)) == 0:
        check = str((int(check) + 1) % 10)  # a mistyped look-alike
    century = f"{birth.year // 100}"
    registered = f"{century}{date_part}-{serial}{check}"
    with_century = draw(st.booleans())
    separator = draw(st.sampled_from(["-", "+", " ", "", " - ", "–"]))
    written = f"{century if with_century else ''}{date_part}{separator}{serial}{check}"
    return registered, [written]


@st.composite
def phones(draw: Any) -> tuple[str, list[str]]:
    prefix = draw(st.sampled_from(["70", "72", "73", "76", "79", "13", "11", "141"]))
    rest = "".join(str(draw(st.integers(0, 9))) for _ in range(9 - len(prefix)))
    national = prefix + rest
    registered = "0" + national
    form = draw(st.sampled_from(["0", "+46", "+46 ", "0046", "0046 ", "+46 (0)"]))
    digits = list(national)
    separators = draw(
        st.lists(
            st.sampled_from(["", "", "", " ", "-"]),
            min_size=len(digits) - 1,
            max_size=len(digits) - 1,
        )
    )
    body = digits[0] + "".join(s + d for s, d in zip(separators, digits[1:], strict=True))
    return registered, [form + body]


@st.composite
def emails(draw: Any) -> tuple[str, list[str]]:
    local = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8))
    local += draw(st.sampled_from(["", ".", "_", "-"])) + draw(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)
    )
    domain = draw(st.sampled_from(["gmail.com", "example.se", "telia.com", "kommun.se"]))
    registered = f"{local}@{domain}"
    at = draw(st.sampled_from(["@", " @ ", "(at)"]))
    return registered, [_cased(draw, f"{local}{at}{domain}")]


@st.composite
def addresses(draw: Any) -> tuple[str, list[str]]:
    street = draw(name_part) + draw(st.sampled_from(SUFFIXES))
    number = draw(st.integers(1, 199))
    letter = draw(st.sampled_from(["", "B", "A"]))
    registered = f"{street} {number}{(' ' + letter) if letter else ''}, 591 30 Motala"
    spacing = draw(st.sampled_from([" ", "  ", "\n", "\u00a0"]))
    written = f"{_cased(draw, street)}{spacing}{number}"
    if letter and draw(st.booleans()):
        written += draw(st.sampled_from(["", " "])) + letter
    return registered, [written]


@st.composite
def cases(draw: Any) -> tuple[str, dict[str, Any], dict[str, list[str]]]:
    """A text, the identifiers registered on its case, and the name parts and streets."""
    identifiers: dict[str, list[str]] = {
        "names": [],
        "personnummer": [],
        "phones": [],
        "emails": [],
        "addresses": [],
    }
    mentions: list[str] = []
    kinds = {
        "names": names(),
        "personnummer": personnummer(),
        "phones": phones(),
        "emails": emails(),
        "addresses": addresses(),
    }
    for key, strategy in kinds.items():
        for _ in range(draw(st.integers(1, 2))):
            registered, written = draw(strategy)
            identifiers[key].append(registered)
            mentions.extend(written)
    mentions = draw(st.permutations(mentions))
    pieces = []
    for mention in mentions:
        pieces.append(draw(st.sampled_from(FILLER)))
        before, after = draw(st.sampled_from(AROUND))
        pieces.append(f"{before}{mention}{after}")
    pieces.append(draw(st.sampled_from(FILLER)))
    text = "".join(p + draw(st.sampled_from(SPACES)) for p in pieces)
    forbidden = {
        "names": [p for n in identifiers["names"] for p in n.split()],
        "streets": [a.split()[0] for a in identifiers["addresses"]],
    }
    return text, identifiers, forbidden


_REPLACEMENT = re.compile(r"\[[^\]]*\]")
_WORD = re.compile(r"[^\W\d_]+")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_no_identifier_of_the_case_survives_in_any_form(
    case: tuple[str, dict[str, Any], dict[str, list[str]]],
) -> None:
    text, identifiers, forbidden = case
    result = redact(text, identifiers, today=TODAY)
    remaining = _REPLACEMENT.sub(" ", result.text)

    assert not re.search(r"\d", remaining), (text, result.text)
    assert "@" not in remaining and "(at)" not in remaining.lower(), result.text
    words = {w.casefold() for w in _WORD.findall(remaining)}
    for part in forbidden["names"]:
        assert part.casefold() not in words, (part, result.text)
        assert part.casefold() + "s" not in words, (part, result.text)
    for street in forbidden["streets"]:
        assert street.casefold() not in words, (street, result.text)


@settings(max_examples=100, deadline=None)
@given(cases())
def test_offsets_are_into_the_input_and_do_not_overlap(
    case: tuple[str, dict[str, Any], dict[str, list[str]]],
) -> None:
    text, identifiers, _forbidden = case
    result = redact(text, identifiers, today=TODAY)
    position = 0
    rebuilt = []
    for redaction in result.redactions:
        assert position <= redaction.start < redaction.end <= len(text)
        rebuilt.append(text[position : redaction.start] + redaction.replacement)
        position = redaction.end
    rebuilt.append(text[position:])
    assert "".join(rebuilt) == result.text


@st.composite
def unregistered_numbers(draw: Any) -> str:
    """Someone else's personnummer, phone number or e-mail, in the formats people write."""
    kind = draw(st.sampled_from(["personnummer", "phone", "email"]))
    if kind == "personnummer":
        return draw(personnummer())[1][0]
    if kind == "email":
        local = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz.", min_size=1, max_size=10))
        local = local.strip(".") or "x"
        return f"{local}{draw(st.integers(0, 99))}@{draw(st.sampled_from(['gmail.com', 'hotmail.se']))}"
    digits = "".join(str(draw(st.integers(0, 9))) for _ in range(8))
    area = draw(st.sampled_from(["70", "72", "73", "76"]))
    national = area + digits[:7]
    grouped = f"{national[2:5]} {national[5:7]} {national[7:9]}"
    return draw(
        st.sampled_from(
            [
                f"0{area}-{grouped}",
                f"0{national}",
                f"0{area} {grouped}",
                f"0{area}-{national[2:]}",
                f"+46 {area} {grouped}",
                f"+46{national}",
                f"0046{national}",
                f"+46 (0){area}-{grouped}",
            ]
        )
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(unregistered_numbers(), min_size=1, max_size=4),
    st.lists(st.sampled_from(FILLER), min_size=5, max_size=5),
    st.lists(st.sampled_from(AROUND), min_size=4, max_size=4),
)
def test_numbers_and_emails_of_other_people_go_by_their_shape(
    values: list[str], filler: list[str], around: list[tuple[str, str]]
) -> None:
    pieces = []
    for index, value in enumerate(values):
        before, after = around[index]
        pieces.append(f"{filler[index]} {before}{value}{after}")
    text = " ".join([*pieces, filler[-1]])
    result = redact(text, {}, today=TODAY)
    remaining = _REPLACEMENT.sub(" ", result.text)
    assert not re.search(r"\d", remaining), (text, result.text)
    assert "@" not in remaining, result.text
