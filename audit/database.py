"""The database role the application runs as: what it may do to the audit tables.

The triggers (migration 0003) refuse UPDATE, DELETE and TRUNCATE of the trail for every
session; the grants below add a second wall: the application's role may only read and
append to the trail's tables. Run them as the role that owns the tables (the one that
runs migrations), never as the application's role. ``manage.py audit_grants`` prints them.
"""

from __future__ import annotations

import re

APPEND_ONLY_TABLES = ("audit_auditevent", "audit_checkpoint")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str, schema: str = "public") -> list[str]:
    """SQL giving ``role`` ordinary rights everywhere but INSERT and SELECT only on the trail."""
    for name in (role, schema):
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a plain PostgreSQL identifier: {name!r}")
    trail = ", ".join(f"{schema}.{table}" for table in APPEND_ONLY_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role};",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};",
        f"REVOKE ALL ON {trail} FROM {role};",
        f"GRANT SELECT, INSERT ON {trail} TO {role};",
        f"REVOKE ALL ON {trail} FROM PUBLIC;",
        # Tables that later migrations create (as the owner running this) get the same
        # ordinary rights; a new append-only table needs its REVOKE added here.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role};",
    ]
