"""Django settings. Everything a deployment changes comes from ACUBACK_* variables."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from acuback.env import env_bool, env_int, env_list, env_rate, env_str, lazy_secret_key

PACKAGE_DIR = Path(__file__).resolve().parent
# Reading the settings writes nothing: the `acuback` command and the WSGI application make
# the folder (acuback.env.prepare_data_dir), and the key is generated when first used.
DATA_DIR = Path(env_str("ACUBACK_DATA_DIR", "./var")).resolve()

SECRET_KEY = lazy_secret_key()
# Old keys still accepted while every node moves to a new one (docs/deployment.md).
SECRET_KEY_FALLBACKS = env_list("ACUBACK_SECRET_KEY_FALLBACKS", [])
# Keys the installation signed with before a rotation: they only verify the audit chain
# (acuback.audit.chain), never sign or accept anything else.
ACUBACK_AUDIT_RETIRED_KEYS = env_list("ACUBACK_AUDIT_RETIRED_KEYS", [])
DEBUG = env_bool("ACUBACK_DEBUG", False)
ALLOWED_HOSTS = env_list("ACUBACK_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("ACUBACK_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # The Django admin, for platform operators (superusers) only.
    "acuback.web.apps.OperatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # its own static files for /api/docs (no CDN)
    "django.contrib.staticfiles",
    "acuback.web",
    "acuback.accounts",
    "acuback.patients",
    "acuback.audit",
    "acuback.screening",
    "acuback.treatment",
    "acuback.outcomes",
    "acuback.scheduling",
    "acuback.portal",
    "acuback.billing",
    "acuback.insights",
    "acuback.interop",
    "acuback.clinicadmin",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # SMART App Launch and Backend Services: the OAuth 2.0 server (acuback.interop.oauth).
    "oauth2_provider",
]

MIDDLEWARE = [
    # An id for each request, in its log lines and its X-Request-ID header.
    "acuback.web.logging.RequestIdMiddleware",
    # First: /healthz and /readyz for load balancers, before host checks, HTTPS redirects
    # and sessions.
    "acuback.web.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "acuback.accounts.middleware.IdleTimeoutMiddleware",
    "acuback.accounts.middleware.TwoFactorMiddleware",
    "acuback.accounts.middleware.PasswordChangeRequiredMiddleware",
    "acuback.accounts.middleware.BreakGlassMiddleware",
    "acuback.web.limits.ApiRateLimitMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
    "acuback.accounts.middleware.ClinicTimezoneMiddleware",
]

ROOT_URLCONF = "acuback.urls"
WSGI_APPLICATION = "acuback.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "acuback.web.context_processors.navigation",
            ],
        },
    },
]

# One cache for every web worker and node (a table in the database, made by the insights
# migration): the dashboard's reused figures are the same whichever worker answers, and
# "Recompute now" drops them everywhere (a per-process cache kept one copy per worker).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "acuback_cache",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
    # The rate limits' counters (acuback.web.limits), in a table of their own so the
    # dashboard's entries never push them out; kept a day, the longest period a limit has.
    "limits": {
        "BACKEND": "acuback.web.limits.LimitsCache",
        "LOCATION": "acuback_limits",
        "TIMEOUT": 86400 + 60,
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}
# Requests per client address and per target (docs/security.md); "off" turns one off.
RATELIMIT_USE_CACHE = "limits"
ACUBACK_RATE_LIMITS = {
    "magic_link_per_email": env_rate("ACUBACK_LIMIT_MAGIC_LINK_PER_EMAIL", "5/h"),
    "magic_link_per_client": env_rate("ACUBACK_LIMIT_MAGIC_LINK_PER_CLIENT", "20/h"),
    # Staff password-reset e-mails: the same limits as the patients' log-in links.
    "password_reset_per_email": env_rate("ACUBACK_LIMIT_PASSWORD_RESET_PER_EMAIL", "5/h"),
    "password_reset_per_client": env_rate("ACUBACK_LIMIT_PASSWORD_RESET_PER_CLIENT", "20/h"),
    "booking_per_clinic": env_rate("ACUBACK_LIMIT_BOOKING_PER_CLINIC", "60/h"),
    "booking_per_client": env_rate("ACUBACK_LIMIT_BOOKING_PER_CLIENT", "10/h"),
    "booking_per_email": env_rate("ACUBACK_LIMIT_BOOKING_PER_EMAIL", "5/h"),
    "link_submit_per_link": env_rate("ACUBACK_LIMIT_LINK_SUBMIT_PER_LINK", "60/h"),
    "link_submit_per_client": env_rate("ACUBACK_LIMIT_LINK_SUBMIT_PER_CLIENT", "120/h"),
    "api_per_token": env_rate("ACUBACK_LIMIT_API_PER_TOKEN", "600/m"),
    # The OAuth token endpoint (SMART apps): per app and per client address.
    "oauth_token_per_app": env_rate("ACUBACK_LIMIT_OAUTH_TOKEN_PER_APP", "60/m"),
    "oauth_token_per_client": env_rate("ACUBACK_LIMIT_OAUTH_TOKEN_PER_CLIENT", "120/m"),
    "desk_link_per_patient": env_rate("ACUBACK_LIMIT_DESK_LINK_PER_PATIENT", "3/h"),
}
# Project rule: a slot asked for on the public booking page is held this long for the
# link e-mailed to the address given (docs/security.md, "Online booking").
ACUBACK_BOOKING_HOLD_MINUTES = env_int("ACUBACK_BOOKING_HOLD_MINUTES", 30)
# Project rule: at most this many unconfirmed holds at once per e-mail address and per
# client address, so one visitor cannot keep a clinic's calendar held (issue #25).
ACUBACK_BOOKING_HOLDS_PER_EMAIL = env_int("ACUBACK_BOOKING_HOLDS_PER_EMAIL", 2)
ACUBACK_BOOKING_HOLDS_PER_CLIENT = env_int("ACUBACK_BOOKING_HOLDS_PER_CLIENT", 3)

# django-oauth-toolkit, the OAuth 2.0 server of SMART App Launch 2.0 and Backend Services
# (docs/fhir.md). PKCE is required of every app (the authorise view accepts S256 only);
# scopes are SMART's, checked by the validator, not a fixed list.
# The toolkit's models, named because acuback's own models point at them (migrations need
# the names of swappable models); acuback does not swap them.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 - a model name  # nosec
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"  # noqa: S105 - a model name  # nosec
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"  # noqa: S105 - a model name  # nosec
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "acuback.interop.oauth.SmartValidator",
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("ACUBACK_OAUTH_ACCESS_TOKEN_SECONDS", 3600),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    # A refresh token (offline_access) lasts at most this long, whatever the app does.
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("ACUBACK_OAUTH_REFRESH_TOKEN_DAYS", 90) * 86400,
    "ROTATE_REFRESH_TOKEN": True,  # nosec B105 - a setting, not a password
    "REQUEST_APPROVAL_PROMPT": "force",  # the consent screen every time
    # http only for an app on the same machine (RFC 8252 loopback); checked on registration.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "SCOPES": {"launch/patient": "The patient in context", "offline_access": "Refresh token",
               "online_access": "Access while logged in"},
    # OAuth 2.0 Security BCP (RFC 9700), the toolkit's compliant behaviour: no implicit or
    # password grant, PKCE S256 only, tokens never in a URL, `iss` in the authorisation
    # response, tokens stored hashed, a replayed refresh token revokes its whole family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}
# RFC 9700's check warns that http redirect URIs are allowed at all: acuback allows them
# only for an app on the person's own machine (127.0.0.1, localhost, ::1; RFC 8252),
# checked when the app is registered (interop/smart.py).
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008"]

SQLITE_PATH = DATA_DIR / "acuback.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("ACUBACK_DATABASE_URL", f"sqlite:///{SQLITE_PATH}"),
        # Each web thread keeps its connection for a minute instead of opening one per
        # request (PostgreSQL: 4 ms off every page at 4 users, docs/benchmarks.md); checked
        # before reuse, so a restarted database costs one reconnect, not an error.
        conn_max_age=env_int("ACUBACK_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed during a write; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue instead of failing half-way. Django turns
    # foreign keys on for every SQLite connection.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif env_bool("ACUBACK_DB_PREPARED", True):
    # PostgreSQL binds the parameters itself, and a statement run twice on a connection is
    # prepared: it is not planned again (1-2 ms for a page's joins on the benchmark
    # machine; pages about 10 % faster, docs/benchmarks.md). Behind PgBouncer in
    # transaction mode this needs PgBouncer 1.21+ with max_prepared_statements, or
    # ACUBACK_DB_PREPARED=0 (docs/deployment.md).
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Argon2id for new and changed passwords; older hashes still verify and are upgraded.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# django-axes refuses a login after repeated failures for the same username from the
# same address, for a cool-off period; the lockout and each failure are recorded.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ACUBACK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ACUBACK_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "acuback.client_address.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False
# Staff must confirm a one-time code (TOTP app or a recovery code) after the password.
# On by default whenever debug is off; patients are not asked.
ACUBACK_REQUIRE_2FA = env_bool("ACUBACK_REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = env_str("ACUBACK_OTP_ISSUER", "acuback")
# Idle time after which a session ends (minutes).
ACUBACK_STAFF_IDLE_MINUTES = env_int("ACUBACK_STAFF_IDLE_MINUTES", 15)
# How long the outcome dashboard's aggregates are reused (0: computed on every view).
ACUBACK_DASHBOARD_CACHE_SECONDS = env_int("ACUBACK_DASHBOARD_CACHE_SECONDS", 300)
ACUBACK_PATIENT_IDLE_MINUTES = env_int("ACUBACK_PATIENT_IDLE_MINUTES", 30)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Stored times are UTC; each request shows them in the clinic's own time zone
# (ClinicTimezoneMiddleware). This is the fallback for users without a clinic.
TIME_ZONE = env_str("ACUBACK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "files"

EMAIL_BACKEND = env_str("ACUBACK_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("ACUBACK_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("ACUBACK_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("ACUBACK_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("ACUBACK_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("ACUBACK_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("ACUBACK_DEFAULT_FROM_EMAIL", "acuback@localhost")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Behind HTTPS (production): secure cookies, HSTS, and redirect of plain HTTP.
HTTPS = env_bool("ACUBACK_HTTPS", env_bool("ACUBACK_SECURE_COOKIES", False))
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "acuback.web.errors.csrf_failure"
SECURE_SSL_REDIRECT = HTTPS and env_bool("ACUBACK_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("ACUBACK_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# The header only allows preloading; a domain is added to browsers' lists by hand.
SECURE_HSTS_PRELOAD = HTTPS and env_bool("ACUBACK_HSTS_PRELOAD", True)
BEHIND_PROXY = env_bool("ACUBACK_BEHIND_PROXY", False)
if BEHIND_PROXY:
    # The reverse proxy terminates TLS and says so in this header (docs/deployment).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies whose X-Forwarded-For is believed (addresses or networks): the client's address
# for the audit log, the log-in lockout and rate limits (acuback.client_address). Behind a
# proxy on the same host, loopback by default; nobody's otherwise.
# An age public key (age1…): `acuback backup` encrypts to it; the operator keeps the
# matching secret key away from this server (docs/deployment.md).
ACUBACK_BACKUP_RECIPIENT = env_str("ACUBACK_BACKUP_RECIPIENT", "")
ACUBACK_TRUSTED_PROXIES = env_list("ACUBACK_TRUSTED_PROXIES",
                                   ["127.0.0.1", "::1"] if BEHIND_PROXY else [])
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# matplotlib keeps its font cache under $HOME unless told otherwise, and a service user's
# home is often not writable: keep it in the data folder, which must be.
os.environ.setdefault("MPLCONFIGDIR", str(DATA_DIR / "matplotlib"))

# Content Security Policy: no inline script, nothing from another origin. Inline style
# is allowed only because matplotlib's SVG charts, shown inline, style with attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        "manifest-src": ["'self'"],
    },
}

# Application log lines (standard error): "text" or "json", each with the time, level,
# logger and request id (docs/deployment.md).
ACUBACK_LOG_FORMAT = env_str("ACUBACK_LOG_FORMAT", "text").lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No patient data in logs: every record is scrubbed before it is written.
    "filters": {"redact": {"()": "acuback.web.logging.RedactPatientData"},
                "request_id": {"()": "acuback.web.logging.RequestId"},
                "database_down": {"()": "acuback.web.logging.DatabaseDownOneLine"}},
    "formatters": {"acuback": {"()": "acuback.web.logging.formatter",
                               "kind": ACUBACK_LOG_FORMAT}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "acuback",
                             "filters": ["request_id", "database_down", "redact"]}},
    "root": {"handlers": ["console"], "level": env_str("ACUBACK_LOG_LEVEL", "WARNING")},
    # Django's own loggers write through the same scrubbed handler (no e-mails to admins).
    "loggers": {"django": {"handlers": ["console"], "propagate": False,
                           "level": env_str("ACUBACK_LOG_LEVEL", "WARNING")}},
}

# Background work: django-tasks with its database backend, run by `acuback worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# The developer's mailbox (acuback.web.mailbox): where its e-mail and SMS backends keep
# messages, shown at /dev/mailbox/. `make run` uses it for the demo.
ACUBACK_MAILBOX_DIR = Path(env_str("ACUBACK_MAILBOX_DIR", str(DATA_DIR / "mailbox"))).resolve()
# SMS: a dotted path to a class with send(to, body), or "none" for no text messages; the
# console backend prints (development only: `check --deploy` refuses it).
ACUBACK_SMS_BACKEND = env_str("ACUBACK_SMS_BACKEND", "acuback.scheduling.sms.ConsoleSMSBackend")
# The address patients use, for links in e-mails the worker sends.
ACUBACK_BASE_URL = env_str("ACUBACK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# How often the worker plans and sends reminders (seconds).
ACUBACK_WORKER_TICK_SECONDS = env_int("ACUBACK_WORKER_TICK_SECONDS", 60)
# A worker whose last task is older than this is late: /readyz answers 503 and the clinic
# admin's home page says so (the clock queues a task every tick, so five ticks by default).
ACUBACK_WORKER_LATE_SECONDS = env_int("ACUBACK_WORKER_LATE_SECONDS",
                                      max(300, 5 * ACUBACK_WORKER_TICK_SECONDS))

# The worker's housekeeping (acuback.web.housekeeping), once per this many seconds: how
# many days finished task results, login logs (django-axes) and bulk-export files (patient
# data) are kept. Expired sessions go at once.
ACUBACK_HOUSEKEEPING_SECONDS = env_int("ACUBACK_HOUSEKEEPING_SECONDS", 86400)
ACUBACK_TASK_RESULT_KEEP_DAYS = env_int("ACUBACK_TASK_RESULT_KEEP_DAYS", 7)
ACUBACK_LOGIN_LOG_KEEP_DAYS = env_int("ACUBACK_LOGIN_LOG_KEEP_DAYS", 90)
ACUBACK_EXPORT_KEEP_DAYS = env_int("ACUBACK_EXPORT_KEEP_DAYS", 7)

ACUBACK_PAGE_SIZE = 25
# A credential that expires within this many days is shown amber in the registry.
ACUBACK_CREDENTIAL_WARNING_DAYS = 60
