"""The restore drill of the README, on PostgreSQL: dump, restore into a fresh database, same
record counts, and the restored change history verifies."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from duties.models import PartyBranch
from xigang import history
from xigang.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]
TABLES = ["duties_partybranch", "duties_village", "households_household", "xigang_auditentry"]

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the drill uses pg_dump: PostgreSQL only"
)


def _pg_env(settings_dict):
    return {
        **os.environ,
        "PGHOST": settings_dict.get("HOST") or "127.0.0.1",
        "PGPORT": str(settings_dict.get("PORT") or 5432),
        "PGUSER": settings_dict.get("USER") or "postgres",
        "PGPASSWORD": settings_dict.get("PASSWORD") or "",
    }


def _counts(cursor):
    out = {}
    for table in TABLES:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed names)
        out[table] = cursor.fetchone()[0]
    return out


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dump_restore_keeps_counts_and_the_history_chain(office, east_household, tmp_path):
    with history.acting(office, "form"):
        for n in range(5):
            PartyBranch.objects.create(name=f"演练总支{n}")
    with connection.cursor() as cursor:
        before = _counts(cursor)
    assert before["xigang_auditentry"] == AuditEntry.objects.count() > 5

    source = connection.settings_dict
    env = _pg_env(source)
    dump = tmp_path / "xigang.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", source["NAME"]], env=env, check=True
    )
    fresh = f"xigang_drill_{uuid.uuid4().hex[:8]}"
    subprocess.run(["createdb", fresh], env=env, check=True)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={fresh}", str(dump)], env=env, check=True
        )
        import psycopg

        dsn = f"host={env['PGHOST']} port={env['PGPORT']} user={env['PGUSER']} dbname={fresh}"
        if env["PGPASSWORD"]:
            dsn += f" password={env['PGPASSWORD']}"
        with psycopg.connect(dsn) as restored, restored.cursor() as cursor:
            assert _counts(cursor) == before
        url = f"postgres://{env['PGUSER']}:{env['PGPASSWORD']}@{env['PGHOST']}:{env['PGPORT']}/{fresh}"
        result = subprocess.run(
            [sys.executable, "manage.py", "verify_history"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url, "SECRET_KEY": "drill", "CONN_MAX_AGE": "0"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert str(before["xigang_auditentry"]) in result.stdout
    finally:
        subprocess.run(["dropdb", "--if-exists", fresh], env=env, check=False)
