"""Settings for the 西岗镇 portal. Everything that differs between machines comes from the
environment (see README, "Production"); defaults are safe: debug off, SQLite embedded."""

import datetime
import hashlib
import hmac
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from xigang.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "import_export",
    "xigang.security",
    "duties",
    "households",
    "visits",
    "oversight",
    "dashboard",
    "notices",
    "projects",
    # Last: its post_migrate handler gives the roles the permissions the apps above created.
    "xigang",
]

MIDDLEWARE = [
    # First: it tries a request again, whole, when the database was locked (SQLite).
    "xigang.locked_db.RetryLockedDatabaseMiddleware",
    "xigang.memo.ReadsOnceMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Security (docs/security.md): history actor, session limits, password age, second factor,
    # no-store on signed-in pages; axes last, as its documentation asks.
    "xigang.security.middleware.ActorMiddleware",
    "xigang.security.middleware.SessionLimitsMiddleware",
    "xigang.security.middleware.PasswordAgeMiddleware",
    "xigang.security.middleware.SecondFactorMiddleware",
    "xigang.security.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xigang.urls"
WSGI_APPLICATION = "xigang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xigang.context_processors.roles",
                "notices.context_processors.unread",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
    )
}
# A read replica (PostgreSQL streaming replication) for the dashboards' reads: xigang/db_router.py.
# Unset: one database, no router. The test suite runs without it; tests/dashboard/test_replica.py
# makes a replica of its own.
_replica_url = env_str("DATABASE_REPLICA_URL")
if _replica_url:
    DATABASES["replica"] = dj_database_url.parse(
        _replica_url, conn_max_age=env_int("CONN_MAX_AGE", 60)
    )
    DATABASE_ROUTERS = ["xigang.db_router.ReplicaRouter"]
for _database in DATABASES.values():
    if _database["ENGINE"].endswith("postgresql"):
        # No JIT: it compiles a statement by its estimated cost, and the visit rules' engine
        # side, never run while the stored state covers the periods, is costed high.
        _options = _database.setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A writer waits this long for another's lock; then xigang.locked_db tries the request again.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = env_int("SQLITE_TIMEOUT", 10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked account before any check
    # Group permissions from the code's matrix, not from group rows (docs/security.md).
    "xigang.security.backends.RoleMatrixBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # no anonymous access: guardian creates no anonymous user
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # 等保 2.0 level 3 (docs/security.md): 3 of 4 character classes, not the user name, and not
    # one of the last 5 (the history validator also records each new password's hash).
    {"NAME": "xigang.security.passwords.ComplexityValidator"},
    {"NAME": "xigang.security.passwords.HistoryValidator", "OPTIONS": {"keep": 5}},
]
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
# Each language named in its own script, so nobody needs a translation to find theirs.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# The overdue list answers for at most this many years between its since and as-of dates (M5).
OVERDUE_QUERY_MAX_YEARS = env_int("XIGANG_OVERDUE_QUERY_MAX_YEARS", 3)

# The day the town began keeping its records in the portal (YYYY-MM-DD): from it on, a list "as
# of" a date counts only records entered by that date (xigang/entry.py). Empty: the day of
# installation, stored by the migration xigang/0008_installation.
_go_live = env_str("XIGANG_GO_LIVE").strip()
try:
    GO_LIVE = datetime.date.fromisoformat(_go_live) if _go_live else None
except ValueError as exc:
    raise ImproperlyConfigured(f"XIGANG_GO_LIVE must be YYYY-MM-DD, got {_go_live!r}") from exc

# Where the visit rules read what is overdue (issue 18): "state", the stored rows kept by the
# writes (the engine answers wherever they do not cover the periods asked), or "engine".
OBLIGATION_SOURCE = env_str("XIGANG_OBLIGATION_SOURCE", "state")
if OBLIGATION_SOURCE not in ("state", "engine"):
    raise ImproperlyConfigured("XIGANG_OBLIGATION_SOURCE must be state or engine")

# The obligation answers each process keeps until their data changes (xigang.kept), counted in
# items and tallies: a county's whole-town answers are ~340,000 (~130 MB).
KEPT_ROWS = env_int("XIGANG_KEPT_ROWS", 600_000)
# Where the web processes share those answers besides (a Redis URL, e.g. redis://host:6379/1;
# empty: each keeps its own only), and the largest answer shared, in items and tallies.
KEPT_SHARED = env_str("XIGANG_KEPT_SHARED", "")
KEPT_SHARED_ROWS = env_int("XIGANG_KEPT_SHARED_ROWS", 5_000)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Unused unless KEPT_SHARED is set. A day: the keys hold the date, so no answer outlives it.
    "kept": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": KEPT_SHARED or "redis://127.0.0.1:6379/1",
        "TIMEOUT": 24 * 3600,
        "KEY_PREFIX": "xigang-kept",
    },
}

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

# Uploads (docs/security.md, "Round two"): one size limit for every file, evidence and ledgers
# alike; the handler stores no more than that and `xigang.upload_limits` refuses the file.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 10) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2621440  # Django's default: larger files wait on disk, not in memory
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "xigang.upload_limits.CappedUploadHandler",
]
# A ledger workbook, checked before it is parsed; the parser runs under a memory and CPU cap.
LEDGER_MAX_ROWS = env_int("LEDGER_MAX_ROWS", 100_000)
LEDGER_MAX_COLUMNS = 100
LEDGER_MAX_UNPACKED_BYTES = 256 * 1024 * 1024
LEDGER_MAX_RATIO = 100  # a part this many times smaller packed than unpacked is a zip bomb
LEDGER_READER_MEMORY_BYTES = env_int("LEDGER_READER_MEMORY_MB", 1024) * 1024 * 1024
LEDGER_READER_CPU_SECONDS = 120
# An uploaded ledger waits this long for its confirmation, then the next upload deletes it.
LEDGER_UPLOAD_MAX_AGE = datetime.timedelta(hours=2)
# django-import-export's screens run our ledger engine (xigang/ledger_resources.py); each kind
# names its own permissions, and these stop any other admin from defaulting to "anyone may".
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# Background jobs (django-tasks, docs in README "Jobs"): the database backend by default, run by
# `manage.py db_worker`; XIGANG_TASKS=redis runs the same tasks on RQ at REDIS_URL (worker:
# `manage.py rqworker --job-class django_tasks_rq.Job`); immediate runs them inline (tests).
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "redis": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_tasks = env_str("XIGANG_TASKS", "database")
if _tasks not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"XIGANG_TASKS must be one of {', '.join(TASK_BACKENDS)}")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[_tasks], "QUEUES": ["default"]}}
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {"default": {"URL": REDIS_URL}}
# A ledger workbook larger than this is imported by a job, not inside the web request.
LEDGER_JOB_MIN_BYTES = env_int("XIGANG_LEDGER_JOB_MIN_KB", 512) * 1024

# Messages and digests (notices/): e-mail through Django's framework, SMTP from the environment
# (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS); in development
# the console backend prints them. SMS through a backend class; the console one prints.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "xigang-portal@localhost")
SMS_BACKEND = env_str("XIGANG_SMS_BACKEND", "notices.sms.ConsoleBackend")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# --- security (docs/security.md) -------------------------------------------------------------
# Sessions: 30 minutes idle (the expiry moves on with activity: SessionLimitsMiddleware saves
# the session at most once a minute, not a write per page), 8 hours in all.
SESSION_COOKIE_AGE = 30 * 60
SESSION_IDLE_SAVE_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = 8 * 60 * 60

# Production runs behind nginx on HTTPS only: XIGANG_HTTPS=true switches on secure __Host-
# cookies, redirects, HSTS for a year and trusts nginx's X-Forwarded-Proto. Development
# (`make run`) and the test client speak plain HTTP, so these stay off there.
HTTPS = env_bool("XIGANG_HTTPS", False)
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-xigang-session"
    CSRF_COOKIE_NAME = "__Host-xigang-csrf"
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_PATH = "/"  # __Host- cookies need path / and no domain
CSRF_COOKIE_PATH = "/"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4): our own origin only, no inline script or style.
# Templates must not use <script> blocks, on*= handlers or style="..." attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Sign-in throttling (django-axes records failures; xigang.security.throttle decides): 5
# failures of one user name from one address, 20 from one address, or failures of one user name
# from 10 addresses pause sign-in for a delay that doubles from 1 minute to at most an hour;
# failures are remembered for a day. A user name alone is never locked by one stranger.
AXES_HANDLER = "xigang.security.throttle.ThrottleHandler"
AXES_LOCKOUT_CALLABLE = "xigang.security.throttle.lockout_response"
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = datetime.timedelta(days=1)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "xigang.security.client_ip"
XIGANG_ADDRESS_FAILURE_LIMIT = env_int("XIGANG_ADDRESS_FAILURE_LIMIT", 20)
XIGANG_USERNAME_ADDRESS_LIMIT = env_int("XIGANG_USERNAME_ADDRESS_LIMIT", 10)
XIGANG_LOCK_BASE = datetime.timedelta(minutes=1)
XIGANG_LOCK_MAX = datetime.timedelta(hours=1)
# X-Forwarded-For is believed only from these peers (addresses or networks, e.g. the nginx in
# front: 127.0.0.1); with none named it is ignored (xigang.security.client_ip).
TRUSTED_PROXIES = env_list("XIGANG_TRUSTED_PROXIES", [])

# The change history's anchors (xigang.security.anchors): the HMAC key is not in the database;
# in production set XIGANG_HISTORY_KEY (check --deploy asks), else it is derived from SECRET_KEY.
HISTORY_KEY = (
    env_str("XIGANG_HISTORY_KEY")
    or hmac.new(SECRET_KEY.encode(), b"xigang-history-anchor", hashlib.sha256).hexdigest()
)
HISTORY_KEY_FROM_ENV = bool(env_str("XIGANG_HISTORY_KEY"))
HISTORY_ANCHOR_DIR = Path(env_str("XIGANG_HISTORY_ANCHOR_DIR", str(BASE_DIR / "var" / "anchors")))

# One-time codes with which users set their own password (xigang.security.codes).
ACCESS_CODE_HOURS = env_int("XIGANG_ACCESS_CODE_HOURS", 24)

# Second factor (django-otp TOTP) for those who administer users and for 扶贫办.
OTP_TOTP_ISSUER = "西岗镇脱贫攻坚"
OTP_REQUIRED = env_bool("XIGANG_OTP_REQUIRED", True)

# Anchors of the change history also go to syslog when XIGANG_SYSLOG_ADDRESS names it
# (/dev/log, or host:port of the log host), out of the database user's reach.
SYSLOG_ADDRESS = env_str("XIGANG_SYSLOG_ADDRESS")
_anchor_handler: dict[str, object] = {"class": "logging.StreamHandler"}
if SYSLOG_ADDRESS:
    _host, _sep, _port = SYSLOG_ADDRESS.rpartition(":")
    _anchor_handler = {
        "class": "logging.handlers.SysLogHandler",
        "address": (_host, int(_port)) if _sep and _port.isdigit() else SYSLOG_ADDRESS,
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}, "anchor": _anchor_handler},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        "xigang.history.anchor": {"handlers": ["anchor"], "level": "INFO", "propagate": False}
    },
}
