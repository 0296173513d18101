"""Bounded loopback load test: N concurrent signed-in users of mixed roles against gunicorn and
PostgreSQL on the `town` demo data. Reports requests/s, p95 latency, errors, and whether every
visit posted was stored (no lost writes).

    .venv/bin/python -m benchmarks.load [--users 50] [--duration 60] [--think SECONDS] \
        [--database-url postgres://postgres@127.0.0.1:5432/xigang_load]

Without --think every user sends the next request as soon as the last one is answered (a stress
test: latency is then mostly queueing); with it, users pause as a person reading would.

Everything runs on 127.0.0.1. The second factor is switched off for the run
(XIGANG_OTP_REQUIRED=false): the load users are generated accounts without authenticators.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PASSWORD = "Load-Test-2026!"

SETUP = r"""
import json
from django.contrib.auth import get_user_model
from households.models import Pairing
from xigang import roles
out = {}
for role in roles.ALL_ROLES:
    users = list(get_user_model().objects.filter(groups__name=role, is_active=True)[:12])
    for u in users:
        u.set_password(PASSWORD)
        u.save(update_fields=["password"])
    out[role] = [u.username for u in users]
import datetime
from django.utils import timezone
pairs = {}
# Pairings old enough that every day of the last 200 is covered: the visits posted are valid.
settled = timezone.localdate() - datetime.timedelta(days=200)
for p in Pairing.objects.filter(end__isnull=True, start__lte=settled,
                                cadre__user__username__in=out[roles.PAIRING]):
    pairs.setdefault(p.cadre.user.username, p.household_id)
out["households"] = pairs
# A database kept from an earlier run: its load-test visits would make this run's posts
# duplicates (refused), so that "posted = stored" would prove nothing.
from visits.models import Visit
Visit.objects.filter(content="负载测试").delete()
print("JSON" + json.dumps(out, ensure_ascii=False))
"""

PAGES = {
    "镇领导": ["/", "/dashboard/items/", "/dashboard/overdue.json"],
    "扶贫办": ["/", "/dashboard/items/", "/households/quality/", "/duties/obligations/"],
    "部门": ["/", "/duties/obligations/", "/dashboard/items/"],
    "村干部": ["/", "/duties/obligations/", "/duties/disclosures/", "/dashboard/items/"],
    "帮扶责任人": ["/", "/visits/", "/dashboard/items/"],
    "纪检督查": ["/", "/dashboard/items/", "/dashboard/overdue.json"],
}


def _env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "load-test-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "XIGANG_OTP_REQUIRED": "false",
        "DEBUG": "false",
    }


def _manage(env, *args, capture=False):
    return subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=capture,
    )


class Session:
    """One browser: a keep-alive connection with cookies."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1{path}"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def sign_in(self, username: str) -> bool:
        self.request("GET", "/accounts/login/")
        status, _data = self.request(
            "POST", "/accounts/login/", {"username": username, "password": PASSWORD}
        )
        return status == 302


def run(args) -> dict:
    env = _env(args.database_url)
    name = urllib.parse.urlparse(args.database_url).path.lstrip("/")
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=False, capture_output=True
    )
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "seed_demo", "--scale", "town", "--if-empty")
    shell = _manage(
        env, "shell", "--no-imports", "-c", SETUP.replace("PASSWORD", repr(PASSWORD)), capture=True
    )
    cast = json.loads(shell.stdout.split("JSON", 1)[1])
    households = cast.pop("households")
    server = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "xigang.wsgi",
            "-b",
            f"127.0.0.1:{args.port}",
            "-w",
            str(args.workers),
            "--threads",
            "4",
            "--graceful-timeout",
            "5",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _try in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.2)
        return _drive(args, cast, households, env)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:  # requests still queued: the run is over anyway
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)


def _drive(args, cast, households, env) -> dict:
    users = []
    roles = [r for r in PAGES if cast.get(r)]
    for i in range(args.users):
        role = roles[i % len(roles)]
        pool = cast[role]
        users.append((role, pool[(i // len(roles)) % len(pool)]))
    latencies: list[float] = []
    by_page: dict[str, list[float]] = {}
    errors: list[str] = []
    posted = {"n": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + args.duration

    # Sign everyone in first (password hashing is deliberately slow): the clock measures use.
    sessions = {}
    for _role, username in users:
        if username not in sessions:
            session = Session(args.port)
            if not session.sign_in(username):
                errors.append(f"sign-in {username}")
            sessions[username] = session
    deadline = time.monotonic() + args.duration

    def worker(index: int, role: str, username: str):
        session = Session(args.port)
        session.cookies = dict(sessions[username].cookies)
        pages = PAGES[role]
        think = random.Random(index)
        if args.think:  # people arrive over a while, not all in the same second
            time.sleep(think.uniform(0, 2 * args.think))
        household = households.get(username)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            if household and n % 3 == 0:
                # one new day per post, inside the pairing: (household, cadre, kind, day) is unique
                day = datetime.date.today() - datetime.timedelta(days=n)
                path = f"/visits/{household}/new/"
                form = {"kind": "电话", "on": day.isoformat(), "content": "负载测试"}
                method = "POST"
            else:
                path, form, method = pages[n % len(pages)], None, "GET"
            start = time.perf_counter()
            try:
                status, _body = session.request(method, path, form)
            except Exception as exc:  # a dropped or timed-out connection is an error
                status = 0
                cookies = session.cookies
                session = Session(args.port)
                session.cookies = cookies
                with lock:
                    errors.append(f"{path}: {exc}")
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                by_page.setdefault(f"{method} {role} {path.split('?')[0]}", []).append(elapsed)
                if status >= 400 or status == 0:
                    errors.append(f"{method} {path}: {status}")
                if method == "POST" and status == 302:
                    posted["n"] += 1
            if args.think:
                # a person reading the page: on average `think` seconds, deterministic per user;
                # gunicorn closes idle keep-alive connections after 2 s, so the next request
                # opens a new one, as a browser would
                session.conn.close()
                time.sleep(think.uniform(0, 2 * args.think))

    before = _visit_count(env)
    threads = [threading.Thread(target=worker, args=(i, r, u)) for i, (r, u) in enumerate(users)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    stored = _visit_count(env) - before
    latencies.sort()
    return {
        "users": len(users),
        "seconds": round(wall, 1),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000) if latencies else None,
        "p95_ms": _p95_ms(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "visits_posted": posted["n"],
        "visits_stored": stored,
        # per page and role: requests, p50 and p95 in ms (where the time goes)
        "pages": {
            page: [len(times), round(statistics.median(times) * 1000), _p95_ms(sorted(times))]
            for page, times in sorted(by_page.items())
        },
    }


def _p95_ms(ordered: list[float]) -> int | None:
    return round(ordered[max(int(len(ordered) * 0.95) - 1, 0)] * 1000) if ordered else None


def _visit_count(env) -> int:
    out = _manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from visits.models import Visit; print('N', Visit.objects.count())",
        capture=True,
    ).stdout
    found = re.search(r"N (\d+)", out)
    assert found, out
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60, help="seconds (bounded)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--think",
        type=float,
        default=0,
        help="mean seconds a user reads a page before the next request (0: none, a stress test)",
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/xigang_load")
    args = parser.parse_args()
    args.duration = min(args.duration, 600)
    print(json.dumps(run(args), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
