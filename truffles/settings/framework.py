"""Django's own settings and its libraries', in the order a request meets them (truffles/settings/).

Safe by default: DEBUG is off, a secret key is required outside development, and HTTPS-only cookies
and headers are on; `make run` opts into development with DJANGO_DEBUG=true. Every variable is listed
in the README.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

# --- Core -------------------------------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "insecure-development-only-key-never-used-in-production"  # noqa: S105
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "staff.apps.StaffAdminConfig",  # Django's admin with our site (two-factor sign-in) as admin.site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",  # runserver serves static files as production does
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # full-text search, the exclusion constraint that prevents double booking
    "django.contrib.sitemaps",
    "crispy_forms",
    "crispy_bootstrap5",
    "phonenumber_field",
    "bootstrap",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    # Ours, each importing only those above it (README "Layout"; tests/test_layers.py holds it).
    "core",
    "audit",
    "articles",
    "appointments",
    "waitlist",
    "staff",
    "truffles",
]

MIDDLEWARE = [
    # Outermost: times and counts every request and writes its one log line (core/middleware.py).
    "core.middleware.RequestRecordMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The Content Security Policy below, with a nonce for our few scripts.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Permissions-Policy on every response, no-store on pages that show or carry patient data.
    "core.middleware.PrivacyHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Stored public pages are kept gzipped too: compress before the page cache stores them.
    "core.compression.PublicPageGZipMiddleware",
    # Before sessions and auth: a stored public page skips them (core/pagecache.py).
    "core.pagecache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Marks a user verified by their second factor (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    # Staff sessions end after idle minutes and after a day's hours in any case.
    "staff.middleware.StaffSessionTimeoutMiddleware",
    # A staff page opened by another site's link shows nothing and records no view until confirmed here.
    "audit.middleware.CrossSiteStaffPageMiddleware",
    # Who is acting, for the audit trail's database triggers.
    "audit.middleware.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "truffles.urls"
WSGI_APPLICATION = "truffles.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",  # the nonce for our script tags
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.clinic",
            ],
            # US dates ("Monday, December 7") in every template without {% load %}: core/dates.py.
            "builtins": ["core.templatetags.us_dates"],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------

# DATABASE_URL when given, otherwise the embedded server under var/. Least privilege: the site runs as
# the app's role; migrations run as the owner's (TRUFFLES_DATABASE_ROLE=owner, which `manage.py migrate`
# sets), from DATABASE_OWNER_URL (without it, DATABASE_URL's role does both).
if env.str("DATABASE_URL", default=""):
    _app_database = env.db("DATABASE_URL")
    _owner_database = env.db("DATABASE_OWNER_URL") if env.str("DATABASE_OWNER_URL", default="") else None
else:
    from core.database import embedded_database_urls

    _app_database, _owner_database = map(env.db_url_config, embedded_database_urls())
# The role that audit/database_roles.py grants the site's privileges to after each migrate.
DATABASE_APP_ROLE = _app_database["USER"]
_as_owner = env.str("TRUFFLES_DATABASE_ROLE", default="app") == "owner"
DATABASES = {"default": _owner_database if _as_owner and _owner_database else _app_database}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Bounds on the database (core/database.py): connecting, and each statement. The server cancels a
# statement after DJANGO_DB_STATEMENT_TIMEOUT seconds; a server that answers nothing at all (frozen,
# network gone) is given up by the client a few seconds later, so a request never hangs on it.
# Migrations (as the owner) may build indexes on big tables: no statement bound for them.
DATABASE_CONNECT_TIMEOUT = env.int("DJANGO_DB_CONNECT_TIMEOUT", default=3)
DATABASE_STATEMENT_TIMEOUT = 0 if _as_owner else env.int("DJANGO_DB_STATEMENT_TIMEOUT", default=5)
_database_options = DATABASES["default"].setdefault("OPTIONS", {})
_database_options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
if DATABASE_STATEMENT_TIMEOUT:
    _database_options["options"] = " ".join(
        filter(None, [_database_options.get("options", ""), f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT}s"])
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Staff sign-in (README "Staff accounts and two-factor login") ------------------------------------

# django-axes first: it refuses sign-in attempts while a user and address are locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Brute-force lockout per username and client address together.
AXES_FAILURE_LIMIT = env.int("TRUFFLES_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("TRUFFLES_LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.client.client_address"
AXES_LOCKOUT_CALLABLE = "staff.views.locked_out"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
# Second factor (TOTP) for the admin; on unless DEBUG, so production always asks for it.
TRUFFLES_REQUIRE_2FA = env.bool("TRUFFLES_REQUIRE_2FA", default=not DEBUG)
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Staff sessions end after this long without activity, and after this long in any case.
TRUFFLES_STAFF_IDLE_MINUTES = env.int("TRUFFLES_STAFF_IDLE_MINUTES", default=30)
TRUFFLES_STAFF_SESSION_HOURS = env.int("TRUFFLES_STAFF_SESSION_HOURS", default=12)

# --- Language, time, formats ------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TRUFFLES_TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True
# Our date and time formats (core/formats/en/formats.py): "Mon Dec 7, 2026, 9:30 AM".
FORMAT_MODULE_PATH = ["core.formats"]
PHONENUMBER_DEFAULT_REGION = env.str("TRUFFLES_PHONE_REGION", default="US")

# --- Static files, uploads, caches ------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names and compressed copies in production, so browsers keep static files for a year; each URL
    # is worked out once per process (core/staticfiles.py).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "core.staticfiles.HashedStaticFilesStorage"
    },
}
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Whole public pages for visitors without a session, keyed by the content version (core/pagecache.py):
# shared by every app server through Redis when REDIS_URL is set, else PostgreSQL's database cache, with
# the most used pages also kept in each process's memory. The shared cache is written by the site's role
# (or whoever reaches Redis): its values are signed, and an entry without the signature is a miss, never
# unpickled nor served (core/cache.py).
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"serializer": "core.cache.SignedPickleSerializer"},
        "TIMEOUT": 24 * 3600,
        "KEY_PREFIX": "truffles",
    }
    if REDIS_URL
    else {
        "BACKEND": "core.cache.SignedDatabaseCache",
        "LOCATION": "truffles_page_cache",
        "OPTIONS": {"MAX_ENTRIES": 5000},
        "TIMEOUT": 24 * 3600,
        "KEY_PREFIX": "truffles",
    },
}
TRUFFLES_PAGE_CACHE = env.bool("TRUFFLES_PAGE_CACHE", default=True)
TRUFFLES_PAGE_CACHE_LOCAL_ENTRIES = env.int("TRUFFLES_PAGE_CACHE_LOCAL_ENTRIES", default=200)
# Parts of article pages the same for every reader, kept in each process per content version (articles/pages.py).
TRUFFLES_PAGE_PARTS_ENTRIES = env.int("TRUFFLES_PAGE_PARTS_ENTRIES", default=500)
# Each process learns new versions from PostgreSQL's NOTIFY (core/versions.py) instead of asking per request.
TRUFFLES_VERSION_LISTENER = env.bool("TRUFFLES_VERSION_LISTENER", default=True)
# The deployed release (e.g. the commit): part of article pages' ETag, so a deploy refreshes what browsers kept.
TRUFFLES_RELEASE = env.str("TRUFFLES_RELEASE", default="")

# --- Email and background work ----------------------------------------------------------------------

# A mail or text provider that accepts and then stalls must not hold a worker for ever: one bound for both.
TRUFFLES_PROVIDER_TIMEOUT_SECONDS = env.float("TRUFFLES_MAIL_TIMEOUT_SECONDS", default=5)
# Console in development, SMTP from EMAIL_URL (smtp+tls://user:pass@host:587) in production; encrypted
# by default, and check --deploy warns (truffles.W008) about a plain smtp:// server.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp+tls://localhost:587")
_smtp_options = {
    option: _email[key]
    for key, option in [
        ("EMAIL_HOST", "host"),
        ("EMAIL_PORT", "port"),
        ("EMAIL_HOST_USER", "username"),
        ("EMAIL_HOST_PASSWORD", "password"),
        ("EMAIL_USE_TLS", "use_tls"),
        ("EMAIL_USE_SSL", "use_ssl"),
    ]
    if key in _email
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": (
            _smtp_options | {"timeout": TRUFFLES_PROVIDER_TIMEOUT_SECONDS} if "smtp" in _email["EMAIL_BACKEND"] else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env.str(
    "DJANGO_DEFAULT_FROM_EMAIL", default="Truffles Vein Specialists <appointments@truffles-veins.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background work (patient messages) is stored in PostgreSQL and run by `manage.py worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# The worker beats this often; /healthz says "degraded" (still 200) when no beat came for the stale period.
TRUFFLES_WORKER_HEARTBEAT_SECONDS = env.float("TRUFFLES_WORKER_HEARTBEAT_SECONDS", default=15)
TRUFFLES_WORKER_STALE_SECONDS = env.int("TRUFFLES_WORKER_STALE_SECONDS", default=300)

# --- Security ---------------------------------------------------------------------------------------

# Strict by default. `make serve` relaxes only what plain HTTP on loopback needs.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preload lists are hard to leave: the clinic opts in deliberately.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
# Without preload, Django's checklist would warn (security.W021): the opt-out is deliberate.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Load balancers check health, and a monitoring server on the same network reads metrics, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies in front that append to X-Forwarded-For; the client is the hop just before them (core/client.py).
TRUFFLES_TRUSTED_PROXIES = env.int(
    "DJANGO_TRUSTED_PROXY_COUNT", default=1 if env.bool("DJANGO_BEHIND_PROXY", default=False) else 0
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (Django 6.0+): only our own origin, no inline scripts.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), fullscreen=(), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), usb=(), "
    "xr-spatial-tracking=()"
)
# Path prefixes whose pages show patient details or carry a manage token in their links.
NO_STORE_PATHS = ("/appointments/", "/admin/")

# --- Logging and monitoring -------------------------------------------------------------------------

# To stderr; never request bodies (they carry health information). One JSON object per line in
# production (core/logformat.py), plain text in development; TRUFFLES_LOG_FORMAT overrides.
LOG_FORMAT = env.str("TRUFFLES_LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("TRUFFLES_LOG_FORMAT must be 'json' or 'plain'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler passes records through the patient-data filter, whatever its formatter
    # (core/log_redaction.py): no token, query string, email, phone or date of birth in a line.
    "filters": {
        "request_id": {"()": "core.logformat.RequestIdFilter"},
        "no_patient_data": {"()": "core.log_redaction.PatientDataFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "core.logformat.JSONLineFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                    "filters": ["request_id", "no_patient_data"]},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # The twilio SDK logs each API call at INFO; only its warnings are kept.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"},
                "twilio.http_client": {"level": "WARNING"}},
}  # fmt: skip
# Each request's log line (a few tens of microseconds) can be turned off where the proxy's access log is enough.
TRUFFLES_REQUEST_LOG = env.bool("TRUFFLES_REQUEST_LOG", default=True)
# /metrics (Prometheus) answers only the bearer token or these addresses/networks; everyone else gets a 404.
TRUFFLES_METRICS_TOKEN = env.str("TRUFFLES_METRICS_TOKEN", default="")
try:
    TRUFFLES_METRICS_NETWORKS = [
        ipaddress.ip_network(value, strict=False) for value in env.list("TRUFFLES_METRICS_ADDRESSES", default=[])
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"TRUFFLES_METRICS_ADDRESSES: {error}") from error

# Backups (`manage.py backup`, truffles/backups.py): pg_dump's custom format, encrypted with age for
# these public keys (age1…, comma-separated) when given; the newest TRUFFLES_BACKUP_KEEP files are kept.
TRUFFLES_BACKUP_DIR = Path(env.str("TRUFFLES_BACKUP_DIR", default=str(BASE_DIR / "var" / "backups")))
TRUFFLES_BACKUP_RECIPIENTS = env.list("TRUFFLES_BACKUP_RECIPIENTS", default=[])
TRUFFLES_BACKUP_KEEP = env.int("TRUFFLES_BACKUP_KEEP", default=42)  # a week of four-hourly backups
# Where PostgreSQL's client programs are, when not beside the embedded server or in Debian's usual places.
TRUFFLES_PG_BIN_DIR = env.str("TRUFFLES_PG_BIN_DIR", default="")
