"""Loads the Östergötland demo data (once; running it again changes nothing)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from coordination import demo


class Command(BaseCommand):
    help = "Läser in demodata för Östergötland (en gång)."

    def handle(self, *args: Any, **options: Any) -> None:
        if demo.demo_loaded():
            self.stdout.write("Demodata finns redan; inget ändrades.")
            return
        self.stdout.write("Läser in demodata för Östergötland …")
        demo.load()
        self.stdout.write(self.style.SUCCESS("Demodata inläst."))
