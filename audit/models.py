"""The audit trail: append-only, hash-chained entries."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.chain import GENESIS_HASH


class AuditEvent(models.Model):
    """One loggpost. Written only by ``audit.services.record``; never changed."""

    seq = models.BigIntegerField(_("löpnummer"), unique=True)
    at = models.DateTimeField(_("tidpunkt"), db_index=True)
    actor = models.CharField(_("utförare"), max_length=150, blank=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
    )
    actor_agency = models.CharField(_("utförarens myndighet"), max_length=200, blank=True)
    actor_unit = models.CharField(_("utförarens enhet"), max_length=200, blank=True)
    action = models.CharField(_("händelse"), max_length=60, db_index=True)
    case_id = models.UUIDField(null=True, blank=True, db_index=True)
    case_ref = models.CharField(_("ärende"), max_length=40, blank=True, db_index=True)
    legal_basis = models.CharField(_("rättslig grund"), max_length=60, blank=True)
    recipients = models.JSONField(_("mottagare"), default=list, blank=True)
    fields = models.JSONField(_("uppgifter"), default=list, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("loggpost")
        verbose_name_plural = _("loggposter")

    def __str__(self) -> str:
        return f"{self.seq} {self.action}"

    def as_hashed_dict(self) -> dict[str, Any]:
        from audit.services import entry_dict

        return entry_dict(self)


class AuditHead(models.Model):
    """The chain's newest position; its row lock serialises writers."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
