"""Admin for the catalogue of legal bases: administrators edit it, every edit is audited.

Saving goes through ``consent.services`` (so the audit entry is written in the same
transaction); bases are never deleted, only deactivated, because recorded disclosures
point at them. Consents and disclosures are not edited here at all.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from consent import policy, services
from consent.models import InformationCategory, LegalBasis
from coordination.errors import Invalid
from coordination.models import AgencyKind

_EDITABLE = [
    "title",
    "statute_reference",
    "description",
    "sender_kinds",
    "recipient_kinds",
    "same_agency_only",
    "level",
    "categories",
    "requires_consent",
    "client_must_be_informed",
    "active",
]


class LegalBasisForm(forms.ModelForm):
    sender_kinds = forms.MultipleChoiceField(
        label=_("Från slag av myndighet"),
        choices=AgencyKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    recipient_kinds = forms.MultipleChoiceField(
        label=_("Till slag av myndighet"),
        choices=AgencyKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    categories = forms.MultipleChoiceField(
        label=_("Tillåtna uppgifter"),
        choices=InformationCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Inga valda: alla uppgifter."),
    )

    class Meta:
        model = LegalBasis
        fields = ["code", *_EDITABLE]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            services.clean_legal_basis({f: cleaned[f] for f in _EDITABLE if f in cleaned})
        except Invalid as error:
            field = error.detail.get("field")
            raise ValidationError(
                {field: error.message} if field in self.fields else error.message
            ) from error
        return cleaned


@admin.register(LegalBasis)
class LegalBasisAdmin(admin.ModelAdmin):
    form = LegalBasisForm
    list_display = ["title", "statute_reference", "code", "level", "requires_consent", "active"]
    list_filter = ["active", "level", "requires_consent"]
    search_fields = ["code", "title", "statute_reference"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The code is what recorded disclosures point at; it never changes.
        return ["code"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        values = {f: form.cleaned_data[f] for f in _EDITABLE if f in form.cleaned_data}
        if change:
            services.legal_basis_update(actor=request.user, basis=obj, **values)
            return
        created = services.legal_basis_create(
            actor=request.user, code=form.cleaned_data["code"], **values
        )
        obj.pk = created.pk

    def has_module_permission(self, request: HttpRequest) -> bool:
        return policy.may_administer(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policy.may_administer(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return policy.may_administer(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policy.may_administer(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
