"""The database refuses to rewrite the change history on both vendors: UPDATE and DELETE by
row triggers (PostgreSQL had them since 0002), and on PostgreSQL TRUNCATE too (a row trigger
does not see it). The hash chain and its anchors (xigang.security.anchors) show the rest."""

from django.db import migrations

SQLITE_CREATE = [
    """CREATE TRIGGER IF NOT EXISTS auditentry_no_update BEFORE UPDATE ON xigang_auditentry
    BEGIN SELECT RAISE(ABORT, 'the change history is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS auditentry_no_delete BEFORE DELETE ON xigang_auditentry
    BEGIN SELECT RAISE(ABORT, 'the change history is append-only'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS auditentry_no_update",
    "DROP TRIGGER IF EXISTS auditentry_no_delete",
]
# The function xigang_auditentry_append_only() comes from 0002.
POSTGRESQL_CREATE = [
    """CREATE TRIGGER auditentry_no_truncate BEFORE TRUNCATE ON xigang_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION xigang_auditentry_append_only()""",
]
POSTGRESQL_DROP = ["DROP TRIGGER IF EXISTS auditentry_no_truncate ON xigang_auditentry"]

CREATE = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}
DROP = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("xigang", "0005_access_code")]
    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
