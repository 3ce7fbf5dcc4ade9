"""``manage.py redact``: the anonymiser on standard input and output (DESIGN §5.2).

Reads ``{"text": "...", "identifiers": {...}}`` and writes ``{"text": "<redacted>",
"redactions": [{"start", "end", "category", "replacement"}]}`` with offsets into the input
text. Bad input gets a Swedish error on standard error, exit code 2, nothing on standard
output. Dates without a year are completed with the current year (``--year`` to choose).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from consent.anonymiser import IdentifierError, redact

MAX_INPUT_BYTES = 5 * 1024 * 1024


class BadInput(Exception):
    """The input is not what DESIGN §5.2 describes; the message is Swedish."""

    exit_code = 2


class Command(BaseCommand):
    help = (
        "Avidentifierar en text: läser JSON {text, identifiers} på standard in och skriver "
        "{text, redactions} på standard ut."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--year",
            type=int,
            default=None,
            help="år för datum som saknar år (standard: innevarande år)",
        )

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
        except BadInput as exc:
            self._fail(str(exc))

    def _fail(self, message: str) -> NoReturn:
        sys.stderr.write(f"redact: {message}\n")
        sys.stderr.flush()
        sys.exit(BadInput.exit_code)

    def handle(self, *args: Any, **options: Any) -> None:
        payload = _parse(_read(options.get("stdin")))
        today = dt.date.today()
        if options.get("year"):
            try:
                today = today.replace(year=options["year"])
            except ValueError as exc:
                raise BadInput("--year ska vara ett år mellan 1 och 9999.") from exc
        try:
            result = redact(payload["text"], payload["identifiers"], today=today)
        except IdentifierError as exc:
            raise BadInput(str(exc)) from exc
        self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))


def _read(stream: Any) -> str:
    if stream is None:
        raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        raw = stream.read(MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise BadInput(f"Indata är för stor (högst {MAX_INPUT_BYTES // (1024 * 1024)} MiB).")
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput("Indata är inte giltig UTF-8.") from exc
    return str(raw)


def _parse(raw: str) -> dict[str, Any]:
    if not raw.strip():
        raise BadInput("Ingen indata: skicka ett JSON-objekt med ”text” och ”identifiers”.")
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"Indata är inte giltig JSON (rad {exc.lineno}, kolumn {exc.colno})."
        ) from exc
    if not isinstance(payload, dict):
        raise BadInput("Indata ska vara ett JSON-objekt med ”text” och ”identifiers”.")
    unknown = sorted(str(k)[:40] for k in payload if k not in ("text", "identifiers"))
    if unknown:
        raise BadInput("Okända nycklar i indata: " + ", ".join(f"”{k}”" for k in unknown) + ".")
    if not isinstance(payload.get("text"), str):
        raise BadInput("”text” saknas eller är inte en text.")
    if "identifiers" not in payload:
        raise BadInput("”identifiers” saknas.")
    return payload
