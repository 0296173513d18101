"""Load test: the town's staff on gunicorn and PostgreSQL, driven by locust (benchmarks/locustfile.py).

    .venv/bin/python -m benchmarks.load [--users 300] [--spawn-rate 10] [--run-time 3m] \
        [--think 10] [--stress-users 50] [--stress-time 1m] \
        [--database-url postgres://postgres@127.0.0.1:5432/xigang_load]
    .venv/bin/python -m benchmarks.load --cost    # only the CPU each page costs

It seeds the town's demo data once into its own database (benchmarks/database.py: `bench_load_town`,
kept between runs), signs every staff account in beforehand (a session each: password hashing is
sign-in, not use), starts gunicorn (4 workers, 127.0.0.1 only) and runs locust headless, bounded
in users, spawn rate and time: first people pausing about --think seconds between pages, then a
stress run whose users never pause. Each run prints p50/p95/p99 and requests/s, the slowest pages,
and checks 0 errors and visits posted = visits stored; the exit status says whether both held.
`--cost` instead measures the CPU time each role's pages cost the server and the database, one
request at a time: unlike response times, it holds on a machine busy with other work.
The second factor is off for the run (XIGANG_OTP_REQUIRED=false): no authenticators here.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MAX_USERS = 1000
MAX_SECONDS = 600

# Each role's usual pages (also timed one by one by benchmarks.dashboard).
PAGES = {
    "镇领导": ["/", "/dashboard/items/", "/dashboard/overdue.json"],
    "扶贫办": ["/", "/dashboard/items/", "/households/quality/", "/duties/obligations/"],
    "部门": ["/", "/duties/obligations/", "/dashboard/items/"],
    "村干部": ["/", "/duties/obligations/", "/duties/disclosures/", "/dashboard/items/"],
    "帮扶责任人": ["/", "/visits/", "/dashboard/items/"],
    "纪检督查": ["/", "/dashboard/items/", "/dashboard/overdue.json"],
}


def _seconds(text: str) -> int:
    """locust's run time (90, 90s, 3m, 1h) in seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    if text[-1:] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _prepare(database_url: str) -> tuple[str, dict]:
    """Seed the town once, sign everyone in; the database's URL for gunicorn and the cast."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["XIGANG_OTP_REQUIRED"] = "false"
    # The sessions made here are signed with the key gunicorn will check them with.
    os.environ.setdefault("SECRET_KEY", "load-test-" + "x" * 50)
    from benchmarks.database import use_database

    use_database("load_town", fresh=False)
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from benchmarks.overdue import _seed
    from households.models import Pairing
    from visits.models import Visit
    from visits.services import EntryTerms
    from xigang import roles

    if connection.vendor != "postgresql":
        raise SystemExit("the load test runs on PostgreSQL: --database-url postgres://...")
    today = timezone.localdate()
    _seed("town", today)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # a freshly seeded database has no planner statistics
    accounts: dict[str, list[tuple[str, str]]] = {}
    for role in PAGES:
        accounts[role] = []
        for user in User.objects.filter(groups__name=role, is_active=True).order_by("pk"):
            client = Client()
            client.force_login(user)
            accounts[role].append((user.username, client.cookies["sessionid"].value))
    # Pairings old enough that every day still open to entry lies inside them.
    settled = today - datetime.timedelta(days=60)
    chosen: dict[str, tuple[int, int]] = {}
    for username, household, cadre in Pairing.objects.filter(
        end__isnull=True, start__lte=settled, cadre__user__groups__name=roles.PAIRING
    ).values_list("cadre__user__username", "household_id", "cadre_id"):
        chosen.setdefault(username, (household, cadre))
    terms = EntryTerms.read()
    open_days: list[datetime.date] = []  # the days whose period is still open to entry, today first
    while terms.closes_on(today - datetime.timedelta(days=len(open_days))) >= today:
        open_days.append(today - datetime.timedelta(days=len(open_days)))
    taken = set(
        Visit.objects.filter(kind=Visit.Kind.PHONE, on__gte=open_days[-1]).values_list(
            "household_id", "cadre_id", "on"
        )
    )
    # Per account its household and the days with no phone contact yet: a post never repeats one.
    households = {
        username: [h, [d.isoformat() for d in open_days if (h, c, d) not in taken]]
        for username, (h, c) in chosen.items()
    }
    cast = {"pages": PAGES, "accounts": accounts, "households": households}
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return url, cast


def _clear_load_visits() -> None:
    """An earlier run's visits would turn this run's posts into refused duplicates."""
    from django.db import connection, transaction

    from visits.models import Visit
    from xigang import kept
    from xigang.obligations import state_refresh

    with transaction.atomic():
        visits = Visit.objects.filter(content__startswith="负载测试")
        households = set(visits.values_list("household_id", flat=True))
        visits.delete()
        state_refresh(households=households)  # as the services keep it
    kept.compact()  # as the nightly run does: the pages' read of the versions stays short
    with connection.cursor() as cursor:
        # As autovacuum would (it is off on the project's machine): an earlier run's dead rows
        # of the visit state and the noted changes are not read again, nor their heap visited.
        cursor.execute("VACUUM (ANALYZE)")


def _visits() -> int:
    from visits.models import Visit

    return Visit.objects.count()


def _gunicorn(url: str, port: int, workers: int, shared: str, threads: int = 4) -> subprocess.Popen:
    if shared:  # each run starts with nothing shared, as the workers start with nothing kept
        import redis

        redis.Redis.from_url(shared).flushdb()
    env = {
        **os.environ,
        "XIGANG_KEPT_SHARED": shared,
        "DATABASE_URL": url,
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "ALLOWED_HOSTS": "127.0.0.1",
        "XIGANG_OTP_REQUIRED": "false",
        "DEBUG": "false",
    }
    server = subprocess.Popen(
        [PY, "-m", "gunicorn", "xigang.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers)]
        + ["--threads", str(threads), "--timeout", "120", "--graceful-timeout", "5"]
        # A connection a request, as from nginx's proxy_pass (docs/deployment.md): kept-alive
        # connections closed by gunicorn as a saturated client reuses them read as resets.
        + ["--keep-alive", "0"]
        + ["--log-level", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _try in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    _stop(server)
    raise SystemExit("gunicorn did not answer")


def _stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:  # requests still queued: the run is over anyway
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=15)


def _locust(args, cast_file: str, port: int, users: int, run_time: str, think: float) -> dict:
    """One bounded headless locust run; its figures from locust's CSV statistics."""
    with tempfile.TemporaryDirectory() as out:
        prefix, sent_file = os.path.join(out, "run"), os.path.join(out, "sent")
        subprocess.run(
            [PY, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless"]
            + ["--host", f"http://127.0.0.1:{port}", "--users", str(users)]
            + ["--spawn-rate", str(args.spawn_rate), "--run-time", run_time]
            + ["--stop-timeout", "10", "--csv", prefix, "--only-summary", "--loglevel", "ERROR"],
            cwd=ROOT,
            env={
                **os.environ,
                "LOAD_CAST": cast_file,
                "LOAD_THINK": str(think),
                "LOAD_SENT": sent_file,
            },
            check=False,  # locust exits 1 when a request failed: counted below
        )
        with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        sent = int(Path(sent_file).read_text(encoding="utf-8"))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    posts = [r for r in rows if r["Type"] == "POST"]
    return {
        "users": users,
        "think_s": think,
        "run_time": run_time,
        "requests": int(total["Request Count"]),
        "rps": round(float(total["Requests/s"]), 1),
        "p50_ms": int(float(total["50%"])),
        "p95_ms": int(float(total["95%"])),
        "p99_ms": int(float(total["99%"])),
        "errors": int(total["Failure Count"]),
        "visits_posted": sum(int(r["Request Count"]) - int(r["Failure Count"]) for r in posts),
        "visits_sent": sent,
        "pages": sorted(
            (
                (f"{r['Type']} {r['Name']}", int(r["Request Count"]), int(float(r["50%"])))
                + (int(float(r["95%"])),)
                for r in rows
                if r["Name"] != "Aggregated"
            ),
            key=lambda page: -page[3],
        ),
    }


def _report(label: str, result: dict, stored: int) -> bool:
    # No visit lost and none made up: every post answered as stored is stored, and nothing is
    # stored that was not sent (a post cut off by the run's end may be either).
    ok = result["errors"] == 0 and result["visits_posted"] <= stored <= result["visits_sent"]
    print(
        f"{label}: {result['users']} users, pause {result['think_s']:g} s, {result['run_time']}: "
        f"{result['requests']} requests, {result['rps']} req/s, p50 {result['p50_ms']} ms, "
        f"p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, {result['errors']} errors, "
        f"visits posted {result['visits_posted']} (sent {result['visits_sent']}) / stored "
        f"{stored}: {'OK' if ok else 'FAILED'}"
    )
    print("  slowest pages (requests, p50 ms, p95 ms):")
    for name, count, p50, p95 in result["pages"][:8]:
        print(f"    {name:40s} {count:6d} {p50:7d} {p95:7d}")
    return ok


def _cpu_seconds(pid: int) -> float:
    """The process's user and system CPU time so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker_pid(server: subprocess.Popen) -> int:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return int(children[0])


def _database_pids(url: str) -> list[int]:
    """The server processes of gunicorn's connections to the load database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'",
            [url.rsplit("/", 1)[1]],
        )
        return [pid for (pid,) in cursor.fetchall()]


def _get(port: int, path: str, session: str, data: dict | None = None) -> int:
    """One request as a signed-in person (a post with `data`); its status."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=urllib.parse.urlencode(data).encode() if data else None,
        headers={"Cookie": f"sessionid={session}; csrftoken={'c' * 32}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:  # a redirect after a post is a success
        return error.code


def _warm(cast: dict, port: int) -> None:
    """Every account reads each of its pages once, eight at a time: the server as after a
    while in service, each answer computed once (a run from cold measures the town's staff all
    arriving at a server just started)."""
    started = time.monotonic()
    reads = [
        (path, session)
        for role, accounts in cast["accounts"].items()
        for _username, session in accounts
        for path in cast["pages"][role]
    ]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda read: _get(port, *read), reads))
    bad = len([s for s in statuses if s != 200])
    print(f"warmed: {len(reads)} pages in {time.monotonic() - started:.0f} s, {bad} not 200")


def _cost(url: str, cast: dict, port: int, repeat: int) -> None:
    """CPU per page, the server's and the database's, one request at a time on one worker
    thread: what a page costs whatever else the machine runs (CPU time, not waiting). Then the
    load test's mix of pages weighted as locust weighs the roles, and the request rate two cores
    could serve at most."""
    os.environ["CONN_MAX_AGE"] = "600"  # one database process per run, not a new one a minute
    server = _gunicorn(url, port, 1, "", threads=1)
    try:
        worker = _worker_pid(server)

        print(f"CPU per page (ms, best of {repeat} runs of 5 requests; app = gunicorn's worker,")
        print("db = PostgreSQL's server processes), the first account of each role:")
        mix: list[tuple[float, float]] = []  # (weight, ms) of each role's pages
        for role, pages in cast["pages"].items():
            accounts = cast["accounts"][role]
            if not accounts:
                continue
            _username, session = accounts[0]
            role_ms = []
            for path in pages:
                _get(port, path, session)  # warm: the connection, the caches
                best_app, best_db = float("inf"), float("inf")
                for _run in range(repeat):
                    databases = _database_pids(url)
                    app0 = _cpu_seconds(worker)
                    db0 = sum(_cpu_seconds(pid) for pid in databases)
                    for _request in range(5):
                        status = _get(port, path, session)
                        assert status == 200, (path, status)
                    best_app = min(best_app, (_cpu_seconds(worker) - app0) / 5 * 1000)
                    best_db = min(
                        best_db, (sum(_cpu_seconds(pid) for pid in databases) - db0) / 5 * 1000
                    )
                role_ms.append(best_app + best_db)
                print(f"  {role:6s} {path:28s} app {best_app:6.1f}  db {best_db:6.1f}")
            mix.append((len(accounts), sum(role_ms) / len(role_ms)))
        weight = sum(w for w, _ms in mix)
        mean = sum(w * ms for w, ms in mix) / weight
        print(
            f"  the load test's mix: {mean:.1f} ms of CPU a page; two cores serve at most "
            f"{2000 / mean:.0f} pages/s (300 people pausing ~10 s ask ~30)"
        )
    finally:
        _stop(server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="3m", help="locust's form: 90s, 3m")
    parser.add_argument("--think", type=float, default=10, help="mean seconds between pages")
    parser.add_argument("--stress-users", type=int, default=50, help="0: no stress run")
    parser.add_argument("--stress-time", default="1m")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--kept-shared",
        default="redis://127.0.0.1:6379/13",
        help="where the workers share kept answers (a Redis database, emptied each run); '': none",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/xigang_load")
    parser.add_argument(
        "--warm",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="each account reads its pages once before a run (--no-warm: from a cold start)",
    )
    parser.add_argument(
        "--cost", action="store_true", help="only the CPU per page, one request at a time"
    )
    args = parser.parse_args(argv)
    for users, run_time in ((args.users, args.run_time), (args.stress_users, args.stress_time)):
        if users > MAX_USERS or _seconds(run_time) > MAX_SECONDS:
            parser.error(f"bounded: at most {MAX_USERS} users and {MAX_SECONDS} s a run")

    url, cast = _prepare(args.database_url)
    if args.cost:
        _cost(url, cast, args.port, repeat=3)
        return 0
    runs = [("paced", args.users, args.run_time, args.think)]
    if args.stress_users:
        runs.append(("stress", args.stress_users, args.stress_time, 0.0))
    ok = True
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as cast_file:
        json.dump(cast, cast_file, ensure_ascii=False)
        cast_file.flush()
        for label, users, run_time, think in runs:
            # Each run on a fresh server: the stress run starts from the same state.
            _clear_load_visits()
            server = _gunicorn(url, args.port, args.workers, args.kept_shared)
            try:
                if args.warm:
                    _warm(cast, args.port)
                before = _visits()
                result = _locust(args, cast_file.name, args.port, users, run_time, think)
            finally:
                _stop(server)
            ok = _report(label, result, _visits() - before) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
