"""The konsultativ grupp and what follows it: slots, offered support, återkoppling,
referrals between agencies, and concern reports about children (DESIGN.md §2.2).

Free text here may name the client, so it is stored encrypted. Text about a case uses
the case's data key, with one field name per object (``support:<id>``,
``feedback:<id>:told``, ``referral:<id>:text`` …), so erasing the case makes it
unreadable with the rest of the case.

A concern report (orosanmälan) has no case when it is made: the reporter does not know,
and must not learn, whether social services already have one. Its content is therefore
encrypted under a data key of its own, generated for the report and stored wrapped by
the key-encryption key exactly like a case's data key (``coordination.vault``), with the
report's id (``concern:<id>``) as the associated data. Destroying that wrapped key erases
the report on its own; a case opened from the report gets the content copied into the
case's own vault.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordination.models import Agency, Case, Meeting, Municipality, Presentation, Unit


class Slot(models.Model):
    """A place on a forum occurrence's agenda where one case can be presented."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="slots")
    number = models.PositiveSmallIntegerField(_("plats"))
    starts_at = models.DateTimeField(_("börjar"))
    duration_minutes = models.PositiveSmallIntegerField(_("längd i minuter"))
    presentation = models.OneToOneField(
        Presentation, on_delete=models.PROTECT, null=True, blank=True, related_name="slot"
    )
    # The recorded disclosure that let the case be shown here (anonymised or consented).
    disclosure = models.ForeignKey(
        "consent.Disclosure", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    booked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting__starts_at", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="slot_unique_number")
        ]
        verbose_name = _("tid för ärendedragning")
        verbose_name_plural = _("tider för ärendedragning")

    @property
    def booked(self) -> bool:
        return self.presentation_id is not None


class Support(models.Model):
    """What one agency's unit says it can offer for a presented case.

    The text is encrypted with the case key (field ``support:<id>``); an agency changes
    its offer by recording it again, and every version is in the audit trail by hash.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    presentation = models.ForeignKey(
        Presentation, on_delete=models.CASCADE, related_name="supports"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("enhet")
    )
    text_ciphertext = models.BinaryField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["presentation", "unit"], name="support_one_per_unit")
        ]
        verbose_name = _("erbjudet stöd")
        verbose_name_plural = _("erbjudet stöd")


class FeedbackStatus(models.TextChoices):
    OPEN = "open", _("att göra")
    DONE = "done", _("klar")


class Feedback(models.Model):
    """Återkoppling: what the client was told after a consultation, and their wishes.

    Made open when the case is booked, so it is the presenting officer's task from then
    on until it is marked done. Both texts are encrypted with the case key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    presentation = models.OneToOneField(
        Presentation, on_delete=models.PROTECT, related_name="feedback"
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="feedback")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="feedback_tasks",
        verbose_name=_("handläggare"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=FeedbackStatus.choices, default=FeedbackStatus.OPEN
    )
    told_ciphertext = models.BinaryField(blank=True, default=b"")
    wishes_ciphertext = models.BinaryField(blank=True, default=b"")
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["officer", "status"], name="feedback_officer_status")]
        verbose_name = _("återkoppling")
        verbose_name_plural = _("återkopplingar")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("skickad")
    ACCEPTED = "accepted", _("accepterad")
    DECLINED = "declined", _("avböjd")
    CLOSED = "closed", _("avslutad")


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", _("vi har inte kapacitet")
    NOT_OUR_RESPONSIBILITY = "not_our_responsibility", _("det är inte vårt ansvar")
    OTHER = "other", _("annat skäl")


class ReferralOutcome(models.TextChoices):
    """What the receiver reports back when closing a referral: a category, no free text,
    so that nothing more than the outcome crosses back to the sender."""

    SUPPORT_GIVEN = "support_given", _("insats eller stöd har påbörjats")
    NO_NEED = "no_need", _("kontakt tagen, ingen insats behövs")
    CLIENT_DECLINED = "client_declined", _("klienten tackade nej")
    NO_CONTACT = "no_contact", _("ingen kontakt kunde etableras")


class Referral(models.Model):
    """A remiss: a case (only the chosen categories) sent to another agency on a basis.

    Sent → accepted or declined; an accepted referral is closed when the receiver
    reports the outcome. ``disclosure`` is the record of what crossed and why; nothing
    is sent without it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    from_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("från enhet")
    )
    to_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("till myndighet")
    )
    to_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_received",
        verbose_name=_("till enhet"),
    )
    categories = models.JSONField(_("uppgifter"), default=list)
    basis = models.ForeignKey(
        "consent.LegalBasis", on_delete=models.PROTECT, related_name="+", verbose_name=_("grund")
    )
    disclosure = models.OneToOneField(
        "consent.Disclosure", on_delete=models.PROTECT, related_name="referral"
    )
    # The consultation it came out of, if any.
    presentation = models.ForeignKey(
        Presentation, on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    text_ciphertext = models.BinaryField()
    status = models.CharField(
        _("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(
        _("skäl"), max_length=30, choices=DeclineReason.choices, blank=True
    )
    decline_note_ciphertext = models.BinaryField(blank=True, default=b"")
    outcome = models.CharField(
        _("utfall"), max_length=20, choices=ReferralOutcome.choices, blank=True
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["to_unit", "status"], name="referral_to_unit_status")]
        verbose_name = _("remiss")
        verbose_name_plural = _("remisser")

    @property
    def recipient_name(self) -> str:
        if self.to_unit is not None:
            return f"{self.to_agency.name}, {self.to_unit.name}"
        return self.to_agency.name


class ConcernIntake(models.Model):
    """Which unit of a municipality's social services receives concern reports."""

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="concern_intake",
        verbose_name=_("kommun"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("mottagande enhet")
    )

    class Meta:
        verbose_name = _("mottagning av orosanmälningar")
        verbose_name_plural = _("mottagning av orosanmälningar")


class ConcernStatus(models.TextChoices):
    SUBMITTED = "submitted", _("skickad")
    RECEIVED = "received", _("mottagen")
    DECIDED = "decided", _("besked lämnat")


class ConcernOutcome(models.TextChoices):
    """What the reporter may be told (whether an investigation is opened, not opened,
    or already under way), and nothing more."""

    INVESTIGATION_OPENED = "investigation_opened", _("utredning inleds")
    NO_INVESTIGATION = "no_investigation", _("ingen utredning inleds")
    INVESTIGATION_ONGOING = "investigation_ongoing", _("utredning pågår redan")


class ConcernReport(models.Model):
    """An orosanmälan about a child, from a school, health care or police user to the
    social services of the child's municipality.

    The content (the child, what the concern is) is encrypted under the report's own
    data key (see the module's docstring). ``case`` is the social services' case opened
    from it, never shown to the reporter.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="concern_reports"
    )
    reporter_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("barnets kommun")
    )
    receiving_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="concern_reports_received"
    )
    basis = models.ForeignKey("consent.LegalBasis", on_delete=models.PROTECT, related_name="+")
    wrapped_data_key = models.BinaryField(null=True, editable=False)
    data_key_id = models.CharField(max_length=20, blank=True, editable=False)
    content_ciphertext = models.BinaryField()
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConcernStatus.choices,
        default=ConcernStatus.SUBMITTED,
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("mottagen"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="concern_reports"
    )
    case_opened_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        _("besked"), max_length=30, choices=ConcernOutcome.choices, blank=True
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["receiving_unit", "status"], name="concern_receiving_status")
        ]
        verbose_name = _("orosanmälan")
        verbose_name_plural = _("orosanmälningar")

    @property
    def vault_id(self) -> str:
        """The id the report's data key and content are bound to."""
        return f"concern:{self.id}"
