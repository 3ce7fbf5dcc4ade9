"""Django admin: organisation data is editable (and audited); cases are shown read-only,
by reference, without any identity data."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.services import record
from coordination.models import (
    Agency,
    Case,
    Incident,
    Membership,
    Municipality,
    RiskAssessment,
    Unit,
)


class AuditedAdmin(admin.ModelAdmin):
    """Admin changes run in the admin's transaction; each writes its audit entry there."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record(
            actor=request.user,
            action=f"admin.{obj._meta.model_name}.{'changed' if change else 'added'}",
            detail={"object": str(obj.pk), "fields": sorted(form.changed_data)},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record(
            actor=request.user,
            action=f"admin.{obj._meta.model_name}.deleted",
            detail={"object": str(obj.pk)},
        )
        super().delete_model(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Municipality)
class MunicipalityAdmin(AuditedAdmin):
    list_display = ["code", "name", "county_part"]
    search_fields = ["code", "name"]


@admin.register(Agency)
class AgencyAdmin(AuditedAdmin):
    list_display = ["name", "kind", "municipality"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ["name", "agency", "lead"]
    filter_horizontal = ["deputies"]
    search_fields = ["name", "agency__name"]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["reference", "category", "owning_unit", "protected_identity", "erased_at"]
    list_filter = ["category", "protected_identity"]
    search_fields = ["reference"]
    fields = readonly_fields = (
        "reference",
        "category",
        "owning_unit",
        "protected_identity",
        "created_at",
        "erased_at",
    )


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "occurred_at"]
    fields = readonly_fields = ("case", "kind", "occurred_at", "created_at")


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["case", "instrument", "assessed_on", "level"]
    fields = readonly_fields = ("case", "instrument", "assessed_on", "level")


# Accounts: unticking "active" in the admin disables the account the one way the service
# does it (sessions deleted, open connections closed, audited), not just the flag.
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.admin import UserAdmin  # noqa: E402

_User = get_user_model()
if admin.site.is_registered(_User):
    admin.site.unregister(_User)


@admin.register(_User)
class SamverkaUserAdmin(UserAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from coordination.services import user_deactivate

        was_active = change and _User.objects.filter(pk=obj.pk, is_active=True).exists()
        super().save_model(request, obj, form, change)
        if was_active and not obj.is_active:
            user_deactivate(actor=request.user, user=obj, reason="Inaktiverat i administrationen")
