"""Escalates calls that a section has not answered in time (to deputies or socialjour).

Run once (e.g. from cron), or with ``--loop`` as the long-running ``escalator`` service.
With ``--heartbeat FILE`` each successful pass touches FILE, so a health check can tell
that the loop is alive and reaches the database.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from coordination.services import invitations_escalate

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Eskalerar kallelser som inte besvarats i tid (till ersättare eller socialjouren)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", help="Fortsätt tills processen stoppas (SIGTERM)."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="Sekunder mellan varven med --loop (standard 30).",
        )
        parser.add_argument(
            "--heartbeat", type=Path, default=None, help="Fil som uppdateras efter varje varv."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["loop"]:
            count = self._pass(options["heartbeat"])
            self.stdout.write(f"Eskalerade kallelser: {count}")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: stop.set())
        interval = max(0.05, float(options["interval"]))
        self.stdout.write(f"Eskalerar kallelser var {interval:g}:e sekund tills processen stoppas.")
        while not stop.is_set():
            started = time.monotonic()
            # A long-lived process must not keep a connection the database has dropped.
            close_old_connections()
            try:
                count = self._pass(options["heartbeat"])
            except Exception:
                # The next pass tries again; a database outage must not end the service.
                logger.exception("escalation pass failed")
            else:
                if count:
                    self.stdout.write(f"Eskalerade kallelser: {count}")
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
        self.stdout.write("Eskaleringen stoppad.")

    def _pass(self, heartbeat: Path | None) -> int:
        count = len(invitations_escalate(actor=None))
        if heartbeat is not None:
            heartbeat.touch()
        return count
