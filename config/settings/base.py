"""All settings live here; other modules only adjust tests or production checks.

Every value that differs between machines comes from the environment (see
README "Configuration" and `.env.example`). Parsing is strict: production
without `DJANGO_SECRET_KEY` refuses to start.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("TRACKER_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    # Only ever used by the local run command; production must set its own.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-not-for-production")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # raises ImproperlyConfigured when missing

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "members.apps.TrackerAdminConfig",  # django.contrib.admin behind the app's login and second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "django_htmx",
    "crispy_bootstrap5",
    "django_filters",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # one-time recovery codes for a lost authenticator
    "members",
    "admission",
]

MIDDLEWARE = [
    # Pages compressed on the wire (the dossier page's forms are ~75 KB of HTML); Django adds
    # random padding against BREACH. Static files come pre-compressed from WhiteNoise.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Posted text in Unicode NFC before any view (or the CSRF check) reads it.
    "members.middleware.UnicodeNormalizationMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # TOTP second factor: who is verified, then who must be (committee staff, administrators).
    "django_otp.middleware.OTPMiddleware",
    "members.middleware.TwoFactorRequiredMiddleware",
    # A candidate's login reaches only its self-service pages (CANDIDATE_PATHS).
    "members.middleware.CandidateConfinementMiddleware",
    # Vietnamese unless the user chose English (not the browser's Accept-Language).
    "members.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: the dossier page's partial updates (one checklist item swapped, not the page).
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # With a read replica: after a user's write, their reads wait for the replica (config/replica.py).
    "config.replica.ReplicaStickyMiddleware",
]

ROOT_URLCONF = "config.urls"
# The only pages a candidate's login reaches (admission.candidate_urls), the first is its home.
CANDIDATE_PATHS = ("/me/",)
WSGI_APPLICATION = "config.wsgi.application"

# Django's own form and widget templates by Jinja2, about three times faster; the others as before.
FORM_RENDERER = "config.form_renderer.FormRenderer"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "members.context_processors.navigation",
                "admission.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite under var/ is the embedded default of the run command only; tests and
# production use PostgreSQL through DATABASE_URL (postgres://user:pass@host:port/db).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tracker.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions (architecture A)
# Persistent connections: a new PostgreSQL connection per request costs more than a whole floor page
# (served by gunicorn: 10.1 ms with a connection per request, 3.3 ms with a kept one; bench/report.md,
# "Served pages"). The health check replaces a connection the server closed in between.
# Not on the embedded default (SQLite): its development server runs each request in a thread of
# its own, which a kept connection would outlive.
_EMBEDDED = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0 if _EMBEDDED else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The covering indexes (`Index(include=…)`, e.g. members' person_breakdown) serve PostgreSQL's
# statistics; the embedded SQLite builds them on their key columns only, which is enough there.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if _EMBEDDED else []
# The embedded default serves the web server and the Celery worker from one file at once:
# - WAL: readers never block the writer nor the writer the readers;
# - IMMEDIATE: every transaction takes the write lock at BEGIN, so a transaction that reads and
#   then writes (update_or_create, get-then-save) never has to upgrade a read lock, which SQLite
#   refuses at once with "database is locked" when another writer got in between (the busy
#   timeout does not apply to an upgrade);
# - timeout: how long a writer waits for the lock (busy timeout) before giving up.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=20),
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}
if _EMBEDDED:
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
# Optional read replica (PostgreSQL streaming standby): statistics, exports and the API's lists read
# from it, everything else and every write uses the primary; a user's reads after their own write wait
# for the replica to replay it (config/replica.py, docs/operations.md). Without it: one database.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    if not all("postgresql" in DATABASES[alias]["ENGINE"] for alias in ("default", "replica")):
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs PostgreSQL, for the primary and the replica")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Never created nor flushed by Django's test runner (tests/integration/test_read_replica.py).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.replica.ReplicaRouter"]
DATABASE_REPLICA_STICKY_SECONDS = env.int("DATABASE_REPLICA_STICKY_SECONDS", default=300)
# PostgreSQL's JIT compiles a statement whose estimated cost passes `jit_above_cost`: the statistics
# page's one-statement aggregates (estimated high, run in milliseconds) spent 1.8 s compiling on the
# province preset (bench/report.md). Off unless DATABASE_JIT=on.
# The replica's connections too (the statistics read from it).
for _database in DATABASES.values():
    if _database["ENGINE"].startswith("django.db.backends.postgresql") and not env.bool("DATABASE_JIT", default=False):
        _pg_options = _database.setdefault("OPTIONS", {})
        _pg_options["options"] = f"{_pg_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    # The session's user read with their roles and unread notifications in one query (members.backends).
    "admission.backends.AccountBackend",
    # Only for the sessions signed in before it (they name this backend) until they expire:
    # AccountBackend refuses a failed password itself, so a password is never checked twice.
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
# Committee staff, committee leaders and administrators must confirm each login with a TOTP
# code. On by default outside development; the demo of scripts/run (debug) has it off.
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = "Phát triển đảng viên"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lock-out (members.auth): failures per account and, with a higher threshold, per client
# address (many users may share one), counted in the shared cache within the window.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_ADDRESS_LIMIT = env.int("LOGIN_FAILURE_ADDRESS_LIMIT", default=50)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)
# Password reset requests per address and per e-mail address within the window.
PASSWORD_RESET_LIMIT = env.int("PASSWORD_RESET_LIMIT", default=5)
PASSWORD_RESET_WINDOW_SECONDS = env.int("PASSWORD_RESET_WINDOW_SECONDS", default=3600)
# API tokens (members.api_tokens) stop working this many days after their creation.
API_TOKEN_LIFETIME_DAYS = env.int("API_TOKEN_LIFETIME_DAYS", default=90)
# Excel import dry runs (each answers for up to thousands of CCCD numbers): per user and window.
IMPORT_DRY_RUN_LIMIT = env.int("IMPORT_DRY_RUN_LIMIT", default=20)
IMPORT_DRY_RUN_WINDOW_SECONDS = env.int("IMPORT_DRY_RUN_WINDOW_SECONDS", default=3600)
# Generated documents (admission.documents.generate): at most this many per user and window (0: no limit).
DOCUMENT_GENERATION_LIMIT = env.int("DOCUMENT_GENERATION_LIMIT", default=30)
DOCUMENT_GENERATION_WINDOW_SECONDS = env.int("DOCUMENT_GENERATION_WINDOW_SECONDS", default=60)

# --- Cache ----------------------------------------------------------------
# Shared by every process: login lock-out counters, rate limits, statistics figures. Production:
# Redis (CACHE_URL=rediscache://...). Without CACHE_URL: a table of the database (the embedded
# default's SQLite file; `manage.py createcachetable`, which scripts/run calls), never a
# per-process memory cache, in which each worker would count failed logins on its own.
if "CACHE_URL" in env.ENVIRON:
    CACHES = {"default": env.cache("CACHE_URL")}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tracker_cache",
            # Far above what is kept, so culling never drops a lock-out counter.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
# Sessions: with Redis, read from the cache and written through to the database
# (cached_db): one query less on every page. Not with the database cache (a cache read is a
# query too) nor with a per-process memory cache (a logout in one worker would not reach the
# others' copies).
if "redis" in str(CACHES["default"]["BACKEND"]).lower():
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Statistics figures are cached until a write below the organisation (admission/statistics_cache.py);
# the lifetime is only a safety net. 0: no cache.
STATISTICS_CACHE_SECONDS = env.int("STATISTICS_CACHE_SECONDS", default=600)

# --- Internationalisation ------------------------------------------------
# Source strings are written in Vietnamese (the default UI language); the
# English catalogue in locale/en must be complete (tests/unit/test_translations.py).
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap comes from the npm registry at setup time (package.json); never a CDN.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str("STATICFILES_STORAGE", default="django.contrib.staticfiles.storage.StaticFilesStorage")
    },
}
# Uploaded scans are personal data: stored outside the web root, served only by views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "uploads")))
# Largest accepted scan (PDF, JPEG, PNG); the type is checked by content, not by name.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# LibreOffice turns generated DOCX into PDF (Debian: libreoffice-writer-nogui).
SOFFICE_BIN = env.str("SOFFICE_BIN", default="soffice")
SOFFICE_TIMEOUT_SECONDS = env.int("SOFFICE_TIMEOUT_SECONDS", default=120)

# --- E-mail ---------------------------------------------------------------
# EMAIL_URL: smtp://user:pass@host:587/?tls=True, smtp+ssl://..., filemail:///path, consolemail://
# Django 6.1 mailers: one "default" mailer built from EMAIL_URL.
_email = env.email_url("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}")
_EMAIL_OPTION_NAMES = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_FILE_PATH": "file_path",
}
_email_backend = _email["EMAIL_BACKEND"]
_email_options = {
    option: _email[key] for key, option in _EMAIL_OPTION_NAMES.items() if _email.get(key) not in (None, "")
}
if "filebased" in _email_backend:
    # django-environ drops the leading "/" of filemail:///abs/path; paths are absolute.
    _email_options = {"file_path": "/" + str(_email.get("EMAIL_FILE_PATH", "")).lstrip("/")}
elif "smtp" not in _email_backend:
    _email_options = {}
else:
    _email_options["timeout"] = env.int("EMAIL_TIMEOUT", default=20)
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Theo dõi phát triển đảng viên <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        # The transport sleeps this long whenever it finds the queue empty, which with one message
        # prefetched is between every two tasks: kombu's 1 s made it one task a second (a province's
        # 200 digests in 203 s); 0.05 s sends them in about 14 s (bench/celery_transport.py), for
        # under 0.5 % of a CPU while idle.
        "polling_interval": env.float("CELERY_BROKER_POLLING_INTERVAL", default=0.05),
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
if CELERY_BROKER_URL.startswith("filesystem"):
    # The filesystem transport needs its folders before the first message is published.
    for _folder in ("queue", "processed", "control"):
        (VAR_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# One message at a time per worker process (fair dispatch with Redis). The embedded default's
# filesystem transport takes four: it sleeps its polling interval whenever it may not take another
# message, so with one it idled between every two digests. A message lost with a crashed worker is
# harmless there: the sweep enqueues every digest still pending today again.
CELERY_WORKER_PREFETCH_MULTIPLIER = 4 if CELERY_BROKER_URL.startswith("filesystem") else 1
# The queues and task routes (sweep, email, documents) are in config/celery.py.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
# Beat is only a metronome: due times live in the database (architecture C).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # https://crontab.guru/#*/5_*_*_*_* : every five minutes
    "reminders-sweep": {
        "task": "admission.reminders.tasks.reminders_sweep",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 240},  # shorter than the interval: sweeps never pile up
    },
    # https://crontab.guru/#30_2_*_*_* : every night at 02:30
    "personal-data-purge": {
        "task": "admission.tasks.personal_data_purge",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 3600},
    },
}
# Decree 13/2023/NĐ-CP: people removed from the list are anonymised this many days after the
# removal (0 turns the nightly purge off).
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=5 * 365)

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The language cookie (members.views.set_language) like the others: HTTPS only, not for scripts.
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Strict CSP: no inline script or style without the per-request nonce, no third-party origin.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Logging: everything to stdout ------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"}},
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- REST API (/api/v1/, admission.api) ------------------------------------------
# Token per user (`Authorization: Token <key>`) for programs, the session (with CSRF) for the
# browser. JSON only; page-number pagination (page_size 1-200); strict django-filter filters;
# every error as {"errors": [{code, rule, message, params}]} (admission.api.errors).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "members.api_tokens.DigestTokenAuthentication",  # first: unauthenticated is 401
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["admission.api.parsers.NFCJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "admission.api.pagination.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "admission.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "admission.api.errors.exception_handler",
    "DATE_FORMAT": "iso-8601",
    "DATE_INPUT_FORMATS": ["iso-8601"],
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
    "UNICODE_JSON": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Rate limits per token/user and per address (the cache counts: Redis in production, so all
    # workers share them). Past the limit: 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_RATE_LIMIT_ANON", default="60/minute"),
        "user": env.str("API_RATE_LIMIT_USER", default="5000/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    # ASCII: client generators derive the package name from the title (pip refuses a Vietnamese
    # one); the Vietnamese name is the first line of the description.
    "TITLE": "Party Admission Tracker API",
    "DESCRIPTION": (
        "Theo dõi phát triển đảng viên – API.\n\n"
        "The admission tracker's REST API, version 1. The same data and rules as the web pages: "
        "each user sees the organisations, people and candidates of their scope (404 outside it; a "
        "filter naming an organisation outside it matches nothing); auditors and mentors only read "
        "(403 on writes). Authenticate with `Authorization: Bearer <key>` or `Authorization: Token <key>` "
        '(create the key on /api/v1/docs/). Errors: `{"errors": [{"code", "rule", "message", '
        '"params"}]}`, messages in the account\'s language. Lists are paginated (`page`, `page_size`). '
        "Dates are ISO 8601 (YYYY-MM-DD). Human-readable docs: /api/v1/docs/; what may change within "
        "v1: docs/api-versioning.md."
    ),
    "VERSION": "1.1.0",  # docs/api-versioning.md: minor for additions, patch for corrections
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,  # request bodies without read-only fields (clients and schemathesis)
    "ENFORCE_NON_BLANK_FIELDS": True,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,  # enums list their values; labels would be Vietnamese noise
    # Enum component names are part of the contract (generated clients name their classes after
    # them): pinned here rather than left to drf-spectacular's collision resolution.
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "admission.models.STAGE_CHOICES",
        "DocumentTypeEnum": "admission.models.DocumentType",
        "ConsentKindEnum": "admission.models.ConsentKind",
        "NotificationKindEnum": "admission.models.Notification.Kind",
        "OrganisationKindEnum": "members.models.OrganisationKind",
        "MemberStatusEnum": "members.models.MemberStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "admission.api.schema.add_error_responses",
        "admission.api.schema.move_labels_to_descriptions",
    ],
}

PAGE_SIZE = 25
# Absolute links in e-mails and the calendar feed.
TRACKER_BASE_URL = env.str("TRACKER_BASE_URL", default="http://127.0.0.1:8000")
TRACKER_SITE_NAME = _("Theo dõi phát triển đảng viên")
