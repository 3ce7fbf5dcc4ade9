"""Writes everything an auditor needs to verify the trail offline to one file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.services.export import export_write


class Command(BaseCommand):
    help = (
        "Exporterar granskningsloggen (poster, signerade kontrollpunkter, publik nyckel) "
        "för kontroll med python -m audit.verify."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="filen att skriva (JSON)")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        partial = out.with_name(out.name + ".part")
        # Written beside the target and renamed, so a failed export never looks complete.
        with partial.open("w", encoding="utf-8") as handle:
            summary = export_write(actor=None, out=handle)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(out)
        self.stdout.write(
            f"Exporterade {summary.entries} poster och {summary.checkpoints} kontrollpunkter "
            f"till {out}.\n"
            f"Senaste Merkle-rot: {summary.root_hash} (nyckel-id {summary.key_id}).\n"
            f"Kontrollera med: python -m audit.verify {out}"
        )
