"""Prints the SQL that limits the application's database role on the audit tables."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.database import grant_statements


class Command(BaseCommand):
    help = (
        "Skriver ut SQL som ger applikationens databasroll bara INSERT och SELECT på "
        "granskningsloggen. Kör den som tabellernas ägare."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", required=True, help="applikationens databasroll")
        parser.add_argument("--schema", default="public", help="schema (standard: public)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            statements = grant_statements(options["role"], options["schema"])
        except ValueError as exc:
            raise CommandError("Ange rollen och schemat som enkla namn (a–z, 0–9, _).") from exc
        self.stdout.write("\n".join(statements))
