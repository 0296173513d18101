"""DATABASE_REPLICA_URL adds the replica and its router; unset, the settings are as before.
(The router itself, on two PostgreSQL databases: tests/dashboard/test_replica.py.)"""

import runpy
from pathlib import Path

import pytest
from django.conf import settings

from xigang.db_router import REPLICA


@pytest.mark.parametrize("url", ["", "postgres://reader@10.0.0.2:5432/xigang"])
def test_the_replica_comes_from_the_environment_only(monkeypatch, url):
    monkeypatch.setenv("DATABASE_REPLICA_URL", url)
    monkeypatch.setenv("SECRET_KEY", "x")
    read = runpy.run_path(str(Path(settings.BASE_DIR) / "xigang" / "settings.py"))
    if url:
        assert read["DATABASES"][REPLICA]["HOST"] == "10.0.0.2"
        assert read["DATABASE_ROUTERS"] == ["xigang.db_router.ReplicaRouter"]
    else:  # one database, no router: nothing changes
        assert list(read["DATABASES"]) == ["default"]
        assert "DATABASE_ROUTERS" not in read


def test_postgresql_connections_compile_no_plan(monkeypatch):
    # JIT would spend ~0.4 s compiling the visit rules' statement for the side never run.
    monkeypatch.setenv("DATABASE_URL", "postgres://app@10.0.0.1:5432/xigang")
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://reader@10.0.0.2:5432/xigang")
    monkeypatch.setenv("SECRET_KEY", "x")
    read = runpy.run_path(str(Path(settings.BASE_DIR) / "xigang" / "settings.py"))
    for database in read["DATABASES"].values():
        assert database["OPTIONS"]["options"] == "-c jit=off"


@pytest.mark.django_db
def test_the_database_runs_without_jit():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
