"""The audit trail (append-only, hash-chained entries), its signed checkpoints, and the
access-log reviews (loggkontroll) that auditors run over it."""

from __future__ import annotations

import uuid
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
    # DO_NOTHING: the database refuses every UPDATE of this table, so deleting a user
    # must not try to null the reference; the entry keeps the id and the username.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
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
    """The chain's newest position; its row lock serialises writers.

    ``frontier`` holds the roots of the perfect Merkle subtrees over all entries (hex,
    largest first), so a write extends the tree and a checkpoint computes its head
    without reading old entries.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    frontier = models.JSONField(default=list)
    checkpoint_size = models.BigIntegerField(default=0)
    # When the newest checkpoint was signed (or the first entry written, before any).
    checkpoint_at = models.DateTimeField(null=True, blank=True)
    # The newest checkpoint's digest (audit.chain.checkpoint_digest), which the next one
    # signs as its previous_hash; empty before the first checkpoint, and on a head last
    # advanced before checkpoints were chained (then read from the newest checkpoint).
    checkpoint_hash = models.CharField(max_length=64, blank=True, default="")


class Checkpoint(models.Model):
    """A signed tree head: the Merkle root over entries 1..tree_size, signed with Ed25519.

    ``previous_hash`` chains it to the checkpoint before (the digest of that one's signed
    message, ``audit.chain.checkpoint_digest``); it is empty in checkpoints signed before
    the chaining (format /1). Append-only like the entries (the database refuses UPDATE,
    DELETE and TRUNCATE).
    """

    tree_size = models.BigIntegerField(_("antal poster"), unique=True)
    previous_size = models.BigIntegerField(_("föregående kontrollpunkts antal poster"))
    # A default in the database too, so rows inserted without the column (as /1 rows
    # were) read as /1 checkpoints.
    previous_hash = models.CharField(
        _("föregående kontrollpunkts hash"), max_length=64, blank=True, default="", db_default=""
    )
    root_hash = models.CharField(_("trädets rot"), max_length=64)
    head_hash = models.CharField(_("kedjans senaste hash"), max_length=64)
    at = models.DateTimeField(_("tidpunkt"))
    key_id = models.CharField(_("nyckel-id"), max_length=16)
    signature = models.CharField(_("signatur"), max_length=100)

    class Meta:
        ordering = ["tree_size"]
        verbose_name = _("kontrollpunkt")
        verbose_name_plural = _("kontrollpunkter")

    def __str__(self) -> str:
        return f"{self.tree_size} {self.root_hash[:12]}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("pågår")
    FINISHED = "finished", _("avslutad")


class ReviewReason(models.TextChoices):
    """Why an access was picked for review; one access may be picked for several."""

    RANDOM = "random", _("slumpmässigt urval")
    PROTECTED_IDENTITY = "protected_identity", _("skyddade personuppgifter")
    NO_ROLE = "no_role", _("åtkomst utan roll i ärendet")
    BULK = "bulk", _("många ärenden på kort tid")
    NIGHT = "night", _("åtkomst nattetid")


class Verdict(models.TextChoices):
    JUSTIFIED = "justified", _("befogad")
    FOLLOW_UP = "follow_up", _("behöver följas upp")


class AccessReview(models.Model):
    """A loggkontroll: accesses to one agency's cases in a period, sampled and marked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(
        "coordination.Agency",
        on_delete=models.PROTECT,
        related_name="access_reviews",
        verbose_name=_("myndighet"),
    )
    period_start = models.DateField(_("från och med"))
    period_end = models.DateField(_("till och med"))
    sample_size = models.PositiveIntegerField(_("slumpmässigt urval"))
    accesses_in_period = models.PositiveIntegerField(_("åtkomster under perioden"), default=0)
    # How many accesses each rule matched in the period (items are capped per rule).
    rule_counts = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("påbörjad"))
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(_("avslutad"), null=True, blank=True)
    conclusion = models.TextField(_("sammanfattning"), blank=True, max_length=4000)
    # SHA-256 of the finished review's content, also written to the audit trail.
    digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("loggkontroll")
        verbose_name_plural = _("loggkontroller")

    def __str__(self) -> str:
        return f"{self.agency.name} {self.period_start}–{self.period_end}"


class ReviewItem(models.Model):
    """One picked access in a loggkontroll, and the reviewer's verdict on it."""

    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("nummer"))
    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="+")
    reasons = models.JSONField(_("skäl"), default=list)
    # Facts behind a rule, e.g. {"bulk": {"cases": 14, "minutes": 10}}.
    reason_detail = models.JSONField(default=dict, blank=True)
    verdict = models.CharField(_("bedömning"), max_length=10, choices=Verdict.choices, blank=True)
    note = models.TextField(_("anteckning"), blank=True, max_length=2000)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["review", "position"]
        constraints = [
            models.UniqueConstraint(fields=["review", "position"], name="review_item_position"),
            models.UniqueConstraint(fields=["review", "event"], name="review_item_event"),
        ]
        verbose_name = _("granskad åtkomst")
        verbose_name_plural = _("granskade åtkomster")

    def reason_labels(self) -> list[str]:
        labels = dict(ReviewReason.choices)
        return [str(labels.get(code, code)) for code in self.reasons]
