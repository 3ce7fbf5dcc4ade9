"""Who may sign in through single sign-on: a keyed hash of the provider's subject per person.

The subject (for Swedish e-identification the personal identity number) is never stored
in plain text; ``coordination.services.accounts.sso_subject_digest`` makes the hash.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SsoSubject(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_subject"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inloggningskoppling")
        verbose_name_plural = _("inloggningskopplingar")

    def __str__(self) -> str:
        return f"{self.user} (e-legitimation)"
