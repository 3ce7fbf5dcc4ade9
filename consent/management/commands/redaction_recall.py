"""``manage.py redaction_recall``: the anonymiser's recall per category over the corpus.

Prints a table (or ``--json``); ``--check`` exits 1 when a category falls below what the
tests require; ``--misses`` lists what was not removed (the corpus is invented, so its
texts may be printed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from consent.anonymiser import recall


class Command(BaseCommand):
    help = "Kör avidentifieringen över den märkta korpusen och visar recall per kategori."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="skriv ut som JSON")
        parser.add_argument(
            "--check",
            action="store_true",
            help="avsluta med kod 1 om någon kategori är under kravet",
        )
        parser.add_argument("--misses", action="store_true", help="visa det som inte togs bort")
        parser.add_argument(
            "--corpus", type=Path, default=recall.CORPUS, help="mapp med korpusens JSON-filer"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        documents = recall.load(options["corpus"])
        if not documents:
            raise CommandError(f"Inga korpustexter i {options['corpus']}.")
        report = recall.evaluate(documents)
        if options["json"]:
            payload = report.as_json()
            if options["misses"]:
                payload["misses"] = [vars(m) for m in report.misses]
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(report.table())
            if options["misses"]:
                for miss in report.misses:
                    self.stdout.write(
                        f"  {miss.document}  {miss.category:<13} {miss.start}-{miss.end}  "
                        f"{miss.text!r}"
                    )
        failures = report.failures()
        if options["check"] and failures:
            listed = ", ".join(f"{c} {v:.3f}" for c, v in failures.items())
            raise CommandError(f"Under kravet: {listed}.", returncode=1)
