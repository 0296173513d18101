"""The benchmarks' own databases, beside the configured one: never the portal's data.

SQLite: a file under /tmp; PostgreSQL: a database `bench_NAME` on the configured server. Named
per script and scale so that a seeded database is kept between runs, and with the process id
where a run always starts empty, so that two people benchmarking at once do not collide.
"""

from __future__ import annotations

import os


def use_database(name: str, *, fresh: bool) -> None:
    """Set Django up on the benchmark database `name`: migrated and kept if it exists, unless
    `fresh`, in which case it is dropped and made again."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xigang.settings")
    import django

    django.setup()
    from django.db import connections
    from django.test.utils import setup_databases

    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        db["TEST"]["NAME"] = f"/tmp/bench_{name}.sqlite3"
        if fresh and os.path.exists(db["TEST"]["NAME"]):
            os.remove(db["TEST"]["NAME"])
    else:
        db["TEST"]["NAME"] = f"bench_{name}"
    # No serialized copy of the data (the test runner's default): too slow at county scale.
    setup_databases(verbosity=0, interactive=False, keepdb=not fresh, serialized_aliases=[])


def drop_database(name: str) -> None:
    """Remove a database made by `use_database` for one run only."""
    from django.db import connections

    connection = connections["default"]
    connection.close()
    if connection.vendor == "sqlite":
        path = f"/tmp/bench_{name}.sqlite3"
        if os.path.exists(path):
            os.remove(path)
        return
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "bench_{name}"')
