"""Links a person to their e-identification subject for single sign-on.

The subject (a personnummer) is read from standard input, never from the command line,
where process lists and shell history would keep it; only its keyed hash is stored.
"""

from __future__ import annotations

import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from coordination.services import accounts


class Command(BaseCommand):
    help = (
        "Kopplar ett konto till en e-legitimation. Personnumret läses från standard in: "
        "echo 19121212-1212 | python manage.py sso_link ANVÄNDARNAMN"
    )

    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("Kontot finns inte.")
        stdin = options.get("stdin") or sys.stdin
        subject = stdin.readline().strip()
        if not subject:
            raise CommandError("Ange personnumret på standard in.")
        accounts.sso_subject_link(actor=None, user=user, subject=subject)
        self.stdout.write(
            self.style.SUCCESS(f"{user.get_username()} kan logga in med e-legitimation.")
        )
