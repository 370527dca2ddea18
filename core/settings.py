"""Glossa's settings: one module, read from the environment, with defaults that run locally.

Production differs from development only by environment variables (see README.md's
configuration table). With DEBUG off nothing secret has a default.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


DEBUG = env_bool("DEBUG", True)


def development_secret(path: Path) -> str:
    """With DEBUG on and no SECRET_KEY: a random key made once for this checkout (var/, never
    committed), shared by the web server and the worker, so no key anyone can read in the
    source signs sessions, password resets or invitation links."""
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(secrets.token_urlsafe(50))
    except FileExistsError:
        pass  # made before, perhaps by another process starting at the same moment
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        import time

        time.sleep(0.01)  # the process that made it is still writing
    raise ImproperlyConfigured(f"{path} is empty: delete it, or set SECRET_KEY.")


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off Glossa needs a long random SECRET_KEY in "
            "the environment, e.g. from:\n"
            "  python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = development_secret(BASE_DIR / "var" / "secret-key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django.contrib.postgres",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "annotate",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.BodyLimitMiddleware",
    "core.middleware.FloodGateMiddleware",
    "core.middleware.RejectNulMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.ServiceErrorMiddleware",
]

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"

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
                "django.template.context_processors.csp",
                "annotate.context_processors.notifications",
            ],
        },
    },
]

# --- Data ----------------------------------------------------------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/glossa")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Glossa runs on PostgreSQL only: DATABASE_URL must be postgres://")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"


def celery_url(redis_url: str) -> str:
    """Kombu spells a Unix-socket Redis as redis+socket://; redis-py as unix://."""
    parts = urlsplit(redis_url)
    if parts.scheme != "unix":
        return redis_url
    db = parse_qs(parts.query).get("db", ["0"])[0]
    return f"redis+socket://{parts.path}?virtual_host={db}"


REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "glossa",
        # Pages and rate limits carry on without the cache (they log and skip it); these keep
        # an unreachable Redis from holding a request for long.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}

CELERY_BROKER_URL = celery_url(REDIS_URL)
CELERY_RESULT_BACKEND = celery_url(REDIS_URL)
# Nothing reads task results (jobs report through the database). Kept, each enqueue would also
# subscribe to its result in Redis, which with Redis away holds a request ~20 s, then fails.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose worker died unacknowledged is delivered again after this many seconds; keep it
# well above the longest task's time limit, or a slow task runs twice at once. Workers look
# for such tasks every few seconds (one cheap Redis query).
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": min(10, max(1, CELERY_VISIBILITY_TIMEOUT // 4)),
    "unacked_restore_throttle": 1,
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "expire-exports": {"task": "annotate.tasks.expire_exports", "schedule": 3600.0},
    # Exports waiting to be sent after a lost message or a broker outage go within a minute.
    "sweep-exports": {"task": "annotate.tasks.sweep_exports", "schedule": 60.0},
    "sweep-imports": {"task": "annotate.tasks.sweep_imports", "schedule": 300.0},
}
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 72)
EXPORT_RETRY_SECONDS = env_int("EXPORT_RETRY_SECONDS", 10)  # first retry's delay; doubles
# Text imports and previews of sources longer than this (characters) are read by a Celery job
# (annotate.services.imports), under IMPORT_TIME_LIMIT seconds; shorter ones in the request.
IMPORT_INLINE_MAX_CHARS = env_int("IMPORT_INLINE_MAX_CHARS", 100_000)
IMPORT_TIME_LIMIT = env_int("IMPORT_TIME_LIMIT", 120)
# Import jobs one member may have waiting or running at once (past that: 429).
IMPORT_MAX_ACTIVE = env_int("IMPORT_MAX_ACTIVE", 2)
IMPORT_KEEP_HOURS = env_int("IMPORT_KEEP_HOURS", 24)  # finished jobs (and their sources) go then
# A source with more lines is refused (422): a 5 MB text of short lines would take gigabytes.
IMPORT_MAX_LINES = env_int("IMPORT_MAX_LINES", 200_000)
# W3C annotation imports larger than this (items, or bytes of request body) are anchored by a job.
W3C_IMPORT_INLINE_MAX_ITEMS = env_int("W3C_IMPORT_INLINE_MAX_ITEMS", 200)
W3C_IMPORT_INLINE_MAX_CHARS = env_int("W3C_IMPORT_INLINE_MAX_CHARS", 200_000)

# --- Files ---------------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage")
# With django-storages (pip install "glossa[s3]"), exports can live in an S3-compatible object
# store that several workers on several machines share; boto3 reads AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY from the environment itself.
S3_OPTIONS = {
    option: os.environ[variable]
    for option, variable in [
        ("bucket_name", "AWS_STORAGE_BUCKET_NAME"),
        ("endpoint_url", "AWS_S3_ENDPOINT_URL"),
        ("region_name", "AWS_S3_REGION_NAME"),
        ("location", "AWS_LOCATION"),
    ]
    if os.environ.get(variable)
}
STORAGES = {
    "default": {
        "BACKEND": MEDIA_STORAGE,
        "OPTIONS": {**S3_OPTIONS, "file_overwrite": True} if "s3" in MEDIA_STORAGE.lower() else {},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024

# --- Accounts ------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: a changed password revokes the API token, on every path (core/passwords.py).
    {"NAME": "core.passwords.RevokeApiTokens"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
INVITATION_DAYS = env_int("INVITATION_DAYS", 14)
# Writes per member: (how many, in how many seconds). Past that: 429.
RATE_LIMITS = {
    "annotate": (env_int("RATE_LIMIT_ANNOTATIONS", 20), 60),
    "reply": (env_int("RATE_LIMIT_REPLIES", 10), 60),
    "flag": (env_int("RATE_LIMIT_FLAGS", 20), 3600),
    "dispute": (env_int("RATE_LIMIT_DISPUTES", 10), 3600),
    # Each import brings up to w3c.MAX_IMPORT annotations at once.
    "import": (env_int("RATE_LIMIT_IMPORTS", 10), 3600),
    # Edits, deletions and re-attachments of one's own annotations and replies.
    "edit": (env_int("RATE_LIMIT_EDITS", 30), 60),
    # Text-import previews and imports (each parses a whole source text).
    "text_preview": (env_int("RATE_LIMIT_TEXT_PREVIEWS", 60), 3600),
    "text_import": (env_int("RATE_LIMIT_TEXT_IMPORTS", 20), 3600),
    # Export requests (beside EXPORT_MAX_ACTIVE, the cap on queued and running jobs).
    "export": (env_int("RATE_LIMIT_EXPORTS", 30), 3600),
    "seminar": (env_int("RATE_LIMIT_SEMINARS", 10), 86400),
    # Invitation emails: by inviter, and by recipient address (whoever invites).
    "invite_email": (env_int("RATE_LIMIT_INVITE_EMAILS", 20), 3600),
    "invite_recipient": (env_int("RATE_LIMIT_INVITE_RECIPIENT", 3), 86400),
    # Password-reset emails: by recipient address, and by client address.
    "reset_recipient": (env_int("RATE_LIMIT_RESET_RECIPIENT", 3), 3600),
    "reset_client": (env_int("RATE_LIMIT_RESET_CLIENT", 10), 3600),
    # Failed sign-ins: by account and client address together, by account, by client address.
    "login_pair": (env_int("RATE_LIMIT_LOGIN_PAIR", 5), 900),
    "login_account": (env_int("RATE_LIMIT_LOGIN_ACCOUNT", 20), 900),
    "login_client": (env_int("RATE_LIMIT_LOGIN_CLIENT", 40), 900),
}
# Queued and running export jobs one member may have at once (past that: 429).
EXPORT_MAX_ACTIVE = env_int("EXPORT_MAX_ACTIVE", 3)
# A member who keeps sending while refused (core.ratelimit) is refused this long.
RATE_LIMIT_PENALTY_SECONDS = env_int("RATE_LIMIT_PENALTY_SECONDS", 600)
# How often an open reader asks for other members' new annotations and replies.
READER_POLL_SECONDS = env_int("READER_POLL_SECONDS", 4)

_email_backend = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": {}}}
if _email_backend.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
    }
elif _email_backend.endswith("filebased.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "file_path": os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Glossa <glossa@localhost>")
# Absolute links in emails (invitations, password resets sent outside a request).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- HTTP and security ---------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the orchestrator's probe speaks plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- API -----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header turns a bad credential into a 401.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "core.api.errors.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Glossa API",
    "DESCRIPTION": "Seminars, texts and annotations. Authenticate with a session or "
    "`Authorization: Token <key>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Export kinds appear in requests and answers; one name for both.
    "ENUM_NAME_OVERRIDES": {"ExportKindEnum": "annotate.models.ExportJob.Kind"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.errors.document_errors",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Project templates may override Django's form templates (templates/django/forms/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
