"""Production settings: `check --deploy` passes with the documented environment; CSP and
no-store reach the browser."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "SECRET_KEY": "k3P9vQ2xW7mZ4tL8rB1nY6cF0hJ5sD3gA9eU2iO7pK4wX8qV1zT6yR0bN5mC2jH",
    "ALLOWED_HOSTS": "xigang.example.gov.cn",
    "XIGANG_HTTPS": "true",
    "XIGANG_HISTORY_KEY": "h7Qm2Zx9Lp4Wv8Rt3Ky6Nb1Jc5Fd0Gs",
    "XIGANG_TRUSTED_PROXIES": "127.0.0.1",
    "DATABASE_URL": "sqlite:///" + str(ROOT / "db.sqlite3"),
}


def _manage(*args, env):
    # The browser tests' conftest allows async-unsafe calls in the test process only; a
    # production process never has it (check --deploy warns about it).
    test_only = {"DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in test_only}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_the_production_environment():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_https():
    env = {**PRODUCTION, "XIGANG_HTTPS": "false"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS" in result.stderr + result.stdout


def test_production_cookies_are_host_prefixed_and_secure():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_PATH, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_PROXY_SSL_HEADER)"
    )
    result = _manage("shell", "--no-imports", "-c", code, env=PRODUCTION)
    assert result.stdout.split() == [
        "__Host-xigang-session",
        "__Host-xigang-csrf",
        "True",
        "True",
        "/",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ], result.stderr


def test_pages_carry_a_csp_without_unsafe_inline_and_signed_in_pages_are_no_store(client, office):
    anonymous = client.get("/accounts/login/")
    policy = anonymous["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    client.force_login(office)
    page = client.get("/")
    assert "no-store" in page["Cache-Control"]
    assert "unsafe-inline" not in page["Content-Security-Policy"]


def test_no_template_uses_inline_script_style_or_a_cdn():
    """Under the CSP an inline <script>, on*= handler or style= attribute would not run."""
    import re

    offenders = []
    pattern = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=\"|\sstyle=\"|https?://(?!www\.w3\.org)"
    )
    dirs = [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("xigang/*/templates")]
    for directory in dirs:
        for path in directory.rglob("*.html"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line) and "application/json" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not offenders, "\n".join(offenders)


def test_development_speaks_plain_http():
    assert not settings.SESSION_COOKIE_SECURE
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_IDLE_SAVE_SECONDS == 60
