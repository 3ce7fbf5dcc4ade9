"""Prints the demo logins: a table for people, ``--json`` for programs."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from coordination import demo


class Command(BaseCommand):
    help = "Visar demoanvändarna (användarnamn, lösenord, roller, enheter)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="skriv ut som JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        users = demo.demo_users()
        if options["json"]:
            self.stdout.write(json.dumps(users, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"Demoinloggningar (lösenord för alla: {demo.DEMO_PASSWORD}):")
        for user in users:
            roles = ", ".join(user["roles"])
            self.stdout.write(f"  {user['username']:<15} {roles:<28} {user['units'][0]}")
