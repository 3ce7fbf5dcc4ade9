"""Prints (or writes) the public key that verifies the trail's checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit import signing


class Command(BaseCommand):
    help = "Skriver ut den publika nyckel (PEM) som kontrollpunkterna verifieras med."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", help="skriv nyckeln till den här filen i stället")

    def handle(self, *args: Any, **options: Any) -> None:
        pem = signing.public_key_pem()
        if options["out"]:
            Path(options["out"]).write_text(pem)
            self.stdout.write(
                f"Nyckel-id {signing.current_key_id()} skriven till {options['out']}."
            )
            return
        self.stdout.write(pem.rstrip("\n"))
        self.stderr.write(f"Nyckel-id: {signing.current_key_id()}")
