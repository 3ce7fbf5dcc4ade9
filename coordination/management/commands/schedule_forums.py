"""Generates the coming occurrences (with their slots) of every inter-agency forum that
has a recurrence. Idempotent: run it every night (e.g. from cron); an occurrence that
already has a meeting is left as it is."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from coordination.services import consultation


class Command(BaseCommand):
    help = "Lägger ut kommande möten med tider för ärendedragning i alla återkommande forum."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--weeks",
            type=int,
            default=consultation.SCHEDULE_WEEKS,
            help=f"Hur många veckor framåt (standard {consultation.SCHEDULE_WEEKS}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        created = consultation.forums_schedule_all(actor=None, weeks=options["weeks"])
        self.stdout.write(f"{created} nya möten.")
