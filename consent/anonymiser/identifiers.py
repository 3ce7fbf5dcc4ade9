"""The identifiers of one case, as the anonymiser takes them, and their validation.

The shape is the one of DESIGN §5.2 (`names`, `personnummer`, `addresses`, `phones`,
`emails`, `schools`, `other`, each a list of strings), with three optional additions the
case briefs use: `relatives` and `children` (so their names are replaced by "[anhörig]" and
"[barn]", and the children summarised by count and age band) and `municipality` (for the
rarity warning). Errors are Swedish and name the place in the input, never its value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coordination import identity

LIST_KEYS = ("names", "personnummer", "addresses", "phones", "emails", "schools", "other")
EXTRA_KEYS = ("relatives", "children", "municipality")
CHILD_KEYS = ("name", "birth_date", "personnummer")
MAX_VALUE_LENGTH = 300


class IdentifierError(ValueError):
    """The identifiers are not of the documented shape; the message is Swedish."""


@dataclass(frozen=True)
class Child:
    name: str
    birth_date: dt.date | None = None


@dataclass(frozen=True)
class Identifiers:
    names: tuple[str, ...] = ()
    personnummer: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    relatives: tuple[str, ...] = ()
    children: tuple[Child, ...] = field(default_factory=tuple)
    municipality: str | None = None

    @classmethod
    def from_mapping(cls, data: Any) -> Identifiers:
        """Validated identifiers; ``IdentifierError`` for anything not of the shape.

        Unknown keys are refused rather than ignored: a misspelt "phone" for "phones"
        would otherwise leave every phone number of the case in the brief.
        """
        if isinstance(data, Identifiers):
            return data
        if not isinstance(data, Mapping):
            raise IdentifierError("”identifiers” ska vara ett objekt.")
        unknown = sorted(str(k) for k in data if k not in LIST_KEYS + EXTRA_KEYS)
        if unknown:
            raise IdentifierError(
                "Okända nycklar i ”identifiers”: "
                + ", ".join(f"”{k[:40]}”" for k in unknown)
                + ". Tillåtna är "
                + ", ".join(LIST_KEYS + EXTRA_KEYS)
                + "."
            )
        values: dict[str, Any] = {key: _strings(data.get(key), key) for key in LIST_KEYS}
        values["relatives"] = _strings(data.get("relatives"), "relatives")
        values["children"] = _children(data.get("children"))
        municipality = data.get("municipality")
        if municipality is not None and not isinstance(municipality, str):
            raise IdentifierError("”identifiers.municipality” ska vara en text.")
        values["municipality"] = municipality.strip() or None if municipality else None
        # A child's personnummer is an identifier of the case like any other.
        numbers = list(values["personnummer"])
        for item in data.get("children") or []:
            if isinstance(item, Mapping) and item.get("personnummer"):
                numbers.append(str(item["personnummer"]).strip())
        values["personnummer"] = tuple(numbers)
        return cls(**values)

    def is_empty(self) -> bool:
        return not any(
            (
                self.names,
                self.personnummer,
                self.addresses,
                self.phones,
                self.emails,
                self.schools,
                self.other,
                self.relatives,
                self.children,
            )
        )


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise IdentifierError(f"”identifiers.{key}” ska vara en lista med texter.")
    cleaned = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise IdentifierError(f"”identifiers.{key}[{index}]” ska vara en text.")
        if len(item) > MAX_VALUE_LENGTH:
            raise IdentifierError(
                f"”identifiers.{key}[{index}]” är för lång (högst {MAX_VALUE_LENGTH} tecken)."
            )
        if item.strip():
            cleaned.append(item.strip())
    return tuple(cleaned)


def _children(value: Any) -> tuple[Child, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise IdentifierError("”identifiers.children” ska vara en lista.")
    children = []
    for index, item in enumerate(value):
        where = f"”identifiers.children[{index}]”"
        if isinstance(item, str):
            if item.strip():
                children.append(Child(name=item.strip()))
            continue
        if not isinstance(item, Mapping):
            raise IdentifierError(f"{where} ska vara en text eller ett objekt.")
        unknown = sorted(str(k) for k in item if k not in CHILD_KEYS)
        if unknown:
            raise IdentifierError(
                f"{where} har okända nycklar; tillåtna är {', '.join(CHILD_KEYS)}."
            )
        name = item.get("name", "")
        if not isinstance(name, str) or len(name) > MAX_VALUE_LENGTH:
            raise IdentifierError(f"{where}.name ska vara en text.")
        children.append(Child(name=name.strip(), birth_date=_birth_date(item, where)))
    return tuple(children)


def _birth_date(item: Mapping[str, Any], where: str) -> dt.date | None:
    raw_date = item.get("birth_date")
    if raw_date is not None:
        if not isinstance(raw_date, str):
            raise IdentifierError(f"{where}.birth_date ska vara ett datum (ÅÅÅÅ-MM-DD).")
        try:
            return dt.date.fromisoformat(raw_date.strip())
        except ValueError as exc:
            raise IdentifierError(f"{where}.birth_date ska vara ett datum (ÅÅÅÅ-MM-DD).") from exc
    number = item.get("personnummer")
    if number is None:
        return None
    if not isinstance(number, str):
        raise IdentifierError(f"{where}.personnummer ska vara en text.")
    return birth_date_of(number)


def birth_date_of(number: str) -> dt.date | None:
    """The birth date a personnummer or samordningsnummer carries, if it is valid."""
    try:
        digits = identity.normalise(number)
    except identity.InvalidIdentityNumber:
        return None
    day = int(digits[6:8])
    if day > 60:
        day -= 60
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), day)
    except ValueError:
        return None
