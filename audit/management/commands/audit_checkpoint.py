"""Signs the trail's head now if entries are waiting: for a timer between busy periods."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.services import checkpoint_create


class Command(BaseCommand):
    help = (
        "Signerar en kontrollpunkt över granskningsloggen om det finns osignerade poster "
        "(kör t.ex. var femte minut från en timer)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = checkpoint_create()
        if checkpoint is None:
            self.stdout.write("Loggen är tom; ingen kontrollpunkt behövs.")
            return
        self.stdout.write(
            f"Kontrollpunkt över {checkpoint.tree_size} poster, rot {checkpoint.root_hash}."
        )
