"""Every change to organisations and cases goes through a function here."""

from coordination.services.cases import (
    case_create,
    case_erase,
    case_identity_register,
    case_officer_assign,
    incident_register,
    kek_rotate,
    risk_assessment_add,
)
from coordination.services.organisation import (
    agency_create,
    membership_grant,
    membership_revoke,
    municipality_upsert,
    unit_create,
    unit_set_leads,
    user_create,
    user_deactivate,
)

__all__ = [
    "agency_create",
    "case_create",
    "case_erase",
    "case_identity_register",
    "case_officer_assign",
    "incident_register",
    "kek_rotate",
    "membership_grant",
    "membership_revoke",
    "municipality_upsert",
    "risk_assessment_add",
    "unit_create",
    "unit_set_leads",
    "user_create",
    "user_deactivate",
]
