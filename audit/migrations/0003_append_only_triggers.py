"""On PostgreSQL the database itself refuses UPDATE, DELETE and TRUNCATE of the trail.

The triggers are ordinary (``ENABLE``) triggers, so they do not fire in a session with
``session_replication_role = replica`` — a setting only a superuser may change, which the
application's role never is. The test harness uses it to empty tables between tests
(see docs/audit.md).
"""

from django.db import migrations

TABLES = ("audit_auditevent", "audit_checkpoint")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Granskningsloggen får bara utökas: % på % är inte tillåtet.', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Poster och kontrollpunkter ändras aldrig och tas aldrig bort (docs/audit.md).';
END
$$;
"""

CREATE_TRIGGER = """
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(CREATE_TRIGGER.format(table=table))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_refuse_change();")


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_checkpoints_reviews"),
    ]

    operations = [migrations.RunPython(create, drop)]
