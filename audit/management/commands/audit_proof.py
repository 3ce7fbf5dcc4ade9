"""Writes a proof about the trail: one entry's inclusion, or consistency of two checkpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.models import AuditEvent, Checkpoint
from audit.services import checkpoint_create, record_atomic
from audit.services.export import consistency_proof, inclusion_proof


class Command(BaseCommand):
    help = (
        "Skriver ett bevis som python -m audit.verify kontrollerar: att en post ingår i "
        "loggen (--seq), eller att loggen byggt vidare på en äldre kontrollpunkt (--since)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--seq", type=int, help="postens löpnummer")
        which.add_argument(
            "--since", type=int, metavar="TREE_SIZE", help="den äldre kontrollpunktens storlek"
        )
        parser.add_argument("--out", required=True, help="filen att skriva (JSON)")

    def handle(self, *args: Any, **options: Any) -> None:
        seq, since = options["seq"], options["since"]
        if seq is not None:
            event = AuditEvent.objects.filter(seq=seq).first()
            if event is None:
                raise CommandError(f"Det finns ingen post {seq}.")
            self._record("inclusion", seq=seq)
            proof = inclusion_proof(event)
        else:
            old = Checkpoint.objects.filter(tree_size=since).first()
            if old is None:
                raise CommandError(f"Det finns ingen kontrollpunkt över {since} poster.")
            self._record("consistency", since=since)
            new = checkpoint_create()
            assert new is not None  # the trail holds at least the old checkpoint's entries
            proof = consistency_proof(old, new)
        Path(options["out"]).write_text(json.dumps(proof, ensure_ascii=False, indent=2) + "\n")
        self.stdout.write(f"Beviset är skrivet till {options['out']}.")

    def _record(self, kind: str, **detail: int) -> None:
        record_atomic(
            actor=None,
            action="audit.proof_issued",
            detail={"kind": kind, **detail, "via": "manage.py audit_proof"},
        )
