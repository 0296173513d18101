"""On PostgreSQL the database itself refuses UPDATE and DELETE of history rows (a trigger);
whoever could drop it could also rewrite rows, which the hash chain then shows."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION xigang_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the change history is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER auditentry_append_only BEFORE UPDATE OR DELETE ON xigang_auditentry
    FOR EACH ROW EXECUTE FUNCTION xigang_auditentry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS auditentry_append_only ON xigang_auditentry;
DROP FUNCTION IF EXISTS xigang_auditentry_append_only();
"""


def create_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("xigang", "0001_audit_and_passwords")]
    operations = [migrations.RunPython(create_guard, drop_guard)]
