"""Every change to the audit trail and to access-log reviews goes through a function here."""

from audit.services.reviews import (
    access_review_finish,
    access_review_start,
    review_item_mark,
)
from audit.services.trail import (
    AuditOutsideTransaction,
    checkpoint_create,
    checkpoint_dict,
    checkpoint_latest,
    entry_dict,
    format_time,
    record,
    record_atomic,
)

__all__ = [
    "AuditOutsideTransaction",
    "access_review_finish",
    "access_review_start",
    "checkpoint_create",
    "checkpoint_dict",
    "checkpoint_latest",
    "entry_dict",
    "format_time",
    "record",
    "record_atomic",
    "review_item_mark",
]
