"""Settings read from the environment.

Production is the default: DEBUG off, a SECRET_KEY must be given, secure cookies. Only
`TIERLINE_DEV=1` (set by `make run` and the test runner) relaxes that, so a forgotten variable
never silently ships a development configuration.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("TIERLINE_VAR_DIR", BASE_DIR.parent / "var")).resolve()


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEV_MODE = _bool("TIERLINE_DEV")
DEBUG = _bool("DEBUG", default=False) and DEV_MODE


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if not DEV_MODE:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment (or TIERLINE_DEV=1 for local use)."
        )
    # Development: one random key per checkout, kept so sessions survive restarts.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = _list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEV_MODE else "")
CSRF_TRUSTED_ORIGINS = _list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # its templates and static files: /api/v1/docs served from here, not a CDN the CSP blocks
    "tierline.accounts",
    "tierline.tenancy",
    "tierline.audit",
    "tierline.escalations",
    "tierline.notifications",
    "tierline.sla",
    "tierline.routing",
    "tierline.templating",
    "tierline.webhooks",
    "tierline.statuspage",
    "tierline.mailin",
    "tierline.privacy",
    "tierline.reports",
    "tierline.problems",
    "tierline.learning",
    "tierline.runtime",
    "tierline.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tierline.core.edge.ApiEdgeMiddleware",  # the input layer and JSON errors for all of /api/
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tierline.core.middleware.ApiHeadersMiddleware",
    "tierline.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "tierline.urls"
WSGI_APPLICATION = "tierline.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "escalations:list"
LOGOUT_REDIRECT_URL = "login"

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
                "tierline.demo.context.demo_loading",
                "tierline.escalations.navigation.nav",
                "tierline.tenancy.context.can_configure",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
SQLITE_PATH = Path(os.environ.get("TIERLINE_SQLITE_PATH", VAR_DIR / "tierline.sqlite3"))
_database_url = os.environ.get("DATABASE_URL")
_PG_PREPARED = _bool("TIERLINE_PG_PREPARED", default=True)
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)}
    if _PG_PREPARED and DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # The hot reads are prepared statements planned once (core/compiled.py). Set when the
        # session starts: a SET inside a transaction would be undone if it rolled back, the
        # PREPARE beside it not. Django itself prepares nothing, so nothing else is affected.
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "tierline.core.sqlite_backend",  # django.db.backends.sqlite3 + writer hand-over
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # IMMEDIATE: a writer takes the lock when its transaction starts, so two writers
                # never deadlock upgrading a read lock; WAL lets readers run beside the writer.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=20000;"
                ),
            },
            # ":memory:" spelled out: pytest-django recognises an in-memory test database by the
            # stock ENGINE name otherwise, and would put each xdist worker in a file instead.
            "TEST": {"NAME": os.environ.get("TIERLINE_TEST_SQLITE_NAME") or ":memory:"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- passwords ------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- i18n / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIERLINE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- static ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEV_MODE:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    WHITENOISE_USE_FINDERS = True
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
MEDIA_ROOT = Path(os.environ.get("TIERLINE_MEDIA_ROOT", VAR_DIR / "attachments"))

# --- security -------------------------------------------------------------------------------
SECURE = not DEV_MODE and not _bool("TIERLINE_INSECURE_HTTP")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _bool("TIERLINE_BEHIND_PROXY") else None
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if not SECURE else str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", default=SECURE)
# Behind the documented TLS-terminating proxy the app itself never sees plain HTTP to redirect.
SECURE_SSL_REDIRECT = SECURE and not _bool("TIERLINE_NO_SSL_REDIRECT")
# Probes answer over plain HTTP on the internal network (a monitor does not follow redirects).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_AGE = int(os.environ.get("TIERLINE_SESSION_SECONDS", str(12 * 3600)))
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Authentication hardening (docs/security.md): login throttling (axes), TOTP second factor
# (django-otp), OIDC single sign-on for BPO staff (mozilla-django-oidc), CSP (django-csp).
INSTALLED_APPS += ["axes", "django_otp", "django_otp.plugins.otp_totp", "mozilla_django_oidc", "csp",
                   "tierline.security"]
MIDDLEWARE.insert(1, "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(2, "tierline.security.ratelimit.RateLimitMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "django_otp.middleware.OTPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
                  "tierline.security.twofactor.RequireSecondFactorMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out credentials before checking them
    "django.contrib.auth.backends.ModelBackend",
    "tierline.security.oidc.StaffOIDCBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("TIERLINE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("TIERLINE_LOGIN_LOCKOUT_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "security/locked_out.html"
AXES_IPWARE_PROXY_COUNT = 1 if _bool("TIERLINE_BEHIND_PROXY") else 0
AXES_VERBOSE = False
# Roles whose members must pass a TOTP code at login (comma list; a tenant can add more).
TIERLINE_TOTP_REQUIRED_ROLES = _list("TIERLINE_TOTP_REQUIRED_ROLES")
OTP_TOTP_ISSUER = "Tierline"

# OIDC single sign-on: on only when the identity provider's endpoints are configured.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SCOPES = "openid email profile"
OIDC_CREATE_USER = False  # SSO signs in existing staff (matched by email); it never creates accounts
OIDC_TIMEOUT = 10
LOGIN_REDIRECT_URL_FAILURE = "/login/?sso=failed"

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
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- email ----------------------------------------------------------------------------------
# Development without a mail server (no EMAIL_HOST): email lands in a local Maildir that staff
# read at /dev/mailbox/ (notifications/devmail.py). Production always defaults to SMTP.
_DEV_MAILBOX = DEV_MODE and not os.environ.get("EMAIL_HOST")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "tierline.notifications.devmail.MaildirBackend" if _DEV_MAILBOX
                               else "django.core.mail.backends.smtp.EmailBackend")
TIERLINE_DEV_MAILBOX = Path(os.environ.get("TIERLINE_DEV_MAILBOX", VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "15"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tierline@localhost")

# --- Tierline -------------------------------------------------------------------------------
TIERLINE = {
    "ATTACHMENT_MAX_BYTES": int(os.environ.get("TIERLINE_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
    "ATTACHMENT_ALLOWED_TYPES": _list(
        "TIERLINE_ATTACHMENT_ALLOWED_TYPES",
        "application/pdf,image/png,image/jpeg,image/gif,text/plain,text/csv,"
        "application/zip,message/rfc822,"
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    # How long a SQLite worker's sweep lease lasts: a dead worker's lease blocks others this long.
    "SLA_LEASE_SECONDS": float(os.environ.get("TIERLINE_SLA_LEASE_SECONDS", "30")),
    # SLA ticks per sweep transaction, each under its own savepoint (actions/sweep.py; the default
    # was chosen with bench/sla_sweep.py, docs/performance.md). 1 = a transaction per tick.
    "SLA_TICKS_PER_TRANSACTION": max(1, int(os.environ.get("TIERLINE_SLA_TICKS_PER_TRANSACTION", "20"))),
    # Webhook targets on private/loopback networks are refused (SSRF) unless this is set.
    "WEBHOOK_ALLOW_PRIVATE": _bool("TIERLINE_WEBHOOK_ALLOW_PRIVATE"),
    "PUBLIC_BASE_URL": os.environ.get("TIERLINE_PUBLIC_BASE_URL", ""),
    "WORKER_POLL_SECONDS": float(os.environ.get("TIERLINE_WORKER_POLL_SECONDS", "1.0")),
    "OUTBOX_MAX_ATTEMPTS": int(os.environ.get("TIERLINE_OUTBOX_MAX_ATTEMPTS", "8")),
    # A worker job that raised this many passes in a row makes /readyz answer 503.
    "JOB_FAILURE_THRESHOLD": int(os.environ.get("TIERLINE_JOB_FAILURE_THRESHOLD", "3")),
    # How long a claimed outbox batch is held: a dead worker's messages wait this long for another.
    "OUTBOX_LEASE_SECONDS": float(os.environ.get("TIERLINE_OUTBOX_LEASE_SECONDS", "120")),
    # Inbound email (`tierline mailin poll`, docs/email-intake.md). No host: nothing is polled.
    "MAIL_MAX_BYTES": int(os.environ.get("TIERLINE_MAIL_MAX_BYTES", str(10 * 1024 * 1024))),
    "MAIL_POLL_SECONDS": float(os.environ.get("TIERLINE_MAIL_POLL_SECONDS", "60")),
    "IMAP_HOST": os.environ.get("TIERLINE_IMAP_HOST", ""),
    "IMAP_PORT": int(os.environ.get("TIERLINE_IMAP_PORT") or 0),  # 0: 993 with SSL, 143 without
    "IMAP_USER": os.environ.get("TIERLINE_IMAP_USER", ""),
    "IMAP_PASSWORD": os.environ.get("TIERLINE_IMAP_PASSWORD", ""),
    "IMAP_FOLDER": os.environ.get("TIERLINE_IMAP_FOLDER", "INBOX"),
    "IMAP_SSL": _bool("TIERLINE_IMAP_SSL", default=True),
    "IMAP_PROCESSED_FOLDER": os.environ.get("TIERLINE_IMAP_PROCESSED_FOLDER", ""),
    # SLA claims and other hot keyed reads run as server-side prepared statements on PostgreSQL
    # (core/compiled.py); off for a pooler in transaction mode, which does not keep them.
    "PG_PREPARED": _PG_PREPARED,
    # SLA ticks commit without waiting for the WAL flush on PostgreSQL (actions/sweep.py says why
    # that loses nothing anyone acted on); 0 makes each tick wait for it.
    "SLA_ASYNC_COMMIT": _bool("TIERLINE_SLA_ASYNC_COMMIT", default=True),
    # API requests per minute per token (security/ratelimit.py); an integration that pushes a
    # backlog, or a benchmark, may need more than the default.
    "RATE_LIMITS": {"api": (int(os.environ["TIERLINE_API_RATE_PER_MINUTE"]), 60)}
    if os.environ.get("TIERLINE_API_RATE_PER_MINUTE") else {},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Personal data (emails, phone numbers, customer names) is masked before anything is written.
    "filters": {"redact_pii": {"()": "tierline.privacy.logfilter.RedactPII"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_pii"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("TIERLINE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"},
                # The access log already has a line per request: in development a 404 or 403 gets no
                # second one (errors still do).
                **({"django.request": {"level": "ERROR"}} if DEV_MODE else {})},
}
