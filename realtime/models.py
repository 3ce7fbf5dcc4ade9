"""Room events and messages: the durable record the WebSocket protocol replays from.

Redis only tells connected consumers that something new exists; what exists is here.
Every room event has a sequence number that grows by exactly one per room, assigned
under the room's row lock in the transaction that caused it, so numbers follow commit
order and a reader that sees event n has every event before it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordination.models import Case, Meeting


class RoomSequence(models.Model):
    """The last sequence number used in a room; its row lock orders the room's writers."""

    room = models.CharField(max_length=80, primary_key=True)
    last = models.BigIntegerField(default=0)


class RoomEvent(models.Model):
    """One event in one room, exactly as stored; each recipient's view is made on delivery.

    ``payload`` never holds message text (that is encrypted in ``MessageVersion``). An
    event about a case names it in ``case``, and a recipient sees it only at the level
    the disclosure policy gives them for that case; a payload may carry one variant per
    level under ``views``.
    """

    room = models.CharField(max_length=80)
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who caused the event and the id their client chose: a retried command is found
    # again by these two and answered with the first result.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    client_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["room", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="room_event_unique_seq"),
            models.UniqueConstraint(
                fields=["actor", "client_id"],
                condition=models.Q(client_id__isnull=False),
                name="room_event_unique_client_id",
            ),
        ]
        verbose_name = _("rumshändelse")
        verbose_name_plural = _("rumshändelser")

    def __str__(self) -> str:
        return f"{self.room} #{self.seq} {self.kind}"


class Message(models.Model):
    """A message written in a room. Its text lives, encrypted, in its versions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    room = models.CharField(max_length=80, db_index=True)
    # The key the text is encrypted with: the case's (a case room, or a meeting about a
    # case), otherwise the room's own key (RoomKey).
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Deletion hides the text from every view from then on; the versions stay stored.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("meddelande")
        verbose_name_plural = _("meddelanden")

    def __str__(self) -> str:
        return f"{self.room} {self.id}"


class MessageVersion(models.Model):
    """One version of a message's text (1 is the original); an edit adds a version."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    ciphertext = models.BinaryField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["message", "number"]
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="message_version_unique")
        ]


class RoomKey(models.Model):
    """A data key for a room that belongs to no case (a forum meeting without a case).

    Wrapped by the vault's key-encryption key like a case's data key, with the room name
    in the associated data.
    """

    room = models.CharField(max_length=80, primary_key=True)
    wrapped_key = models.BinaryField()
    key_id = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)


class Presence(models.Model):
    """One open subscription of one connection; refreshed while the connection lives.

    A row whose ``seen_at`` is older than a few ticks belongs to a process that died and
    is ignored (and cleaned up).
    """

    room = models.CharField(max_length=80)
    channel = models.CharField(max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "channel"], name="presence_unique")]
        indexes = [models.Index(fields=["room", "seen_at"], name="presence_room_seen")]
