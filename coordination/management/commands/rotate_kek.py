"""Rotates the identity vault's key-encryption key (rewraps data keys only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from coordination.services.cases import kek_rotate


class Command(BaseCommand):
    help = "Byter nyckelkrypteringsnyckel och omsluter alla ärendens datanycklar på nytt."

    def handle(self, *args: Any, **options: Any) -> None:
        key_id, count = kek_rotate(actor=None)
        self.stdout.write(
            self.style.SUCCESS(f"Ny nyckel {key_id} är aktuell; {count} ärenden omslutna.")
        )
