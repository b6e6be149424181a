"""Settings: the only module that reads the environment.

APP_ENV picks the defaults: `production` (the default) requires every secret and
service address to be given; `local` (the run command, manage.py) and `test` (pytest)
fall back to embedded services so a fresh machine needs nothing installed.
"""

import base64
import hashlib
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
VAR_DIR.mkdir(exist_ok=True)

APP_ENV = env.str("APP_ENV", default="test" if "pytest" in sys.modules else "production")
if APP_ENV not in {"local", "test", "production"}:
    raise ImproperlyConfigured(f"APP_ENV must be local, test or production, not {APP_ENV!r}")
IS_PRODUCTION = APP_ENV == "production"
TESTING = APP_ENV == "test"

DEBUG = env.bool("DEBUG", default=APP_ENV == "local")

if IS_PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
else:
    SECRET_KEY = env.str("SECRET_KEY", default=f"insecure-{APP_ENV}-only-key-never-in-production")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The port the run command serves on; outside production the links below follow it.
PORT = env.int("PORT", default=8000)
if not 1 <= PORT <= 65535:
    raise ImproperlyConfigured(f"PORT must be 1 to 65535, not {PORT}.")
# The public base address used to build links we hand out (hosted pages, 3-D Secure).
# Required in production and always absolute: a relative link in an API answer or an
# email leads the shopper nowhere.
if IS_PRODUCTION:
    PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL").rstrip("/")
else:
    PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")
_public_base = urlsplit(PUBLIC_BASE_URL)
if _public_base.scheme not in {"http", "https"} or not _public_base.netloc:
    raise ImproperlyConfigured(f"PUBLIC_BASE_URL must be an absolute http(s) address, not {PUBLIC_BASE_URL!r}")
if IS_PRODUCTION and _public_base.scheme != "https":
    raise ImproperlyConfigured("PUBLIC_BASE_URL must be https in production")

INSTALLED_APPS = [
    # The back office's theme: its templates must be found before the stock admin's.
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "core.backoffice.apps.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "oauth2_provider",
    "django_countries",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_guid",
    "django_prometheus",
    "core",
    "merchants",
    "checkout",
    "payments",
    "payments.bnpl.apps.BnplConfig",
    "refunds",
    "fraud",
    "reconciliation",
    "ledger",
]

MIDDLEWARE = [
    # Observability wraps everything else: the request id (django-guid, X-Request-ID) and
    # django-prometheus' timers see every request, refused ones included.
    "core.request_id.request_id_middleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # NUL bytes, lone surrogates and oversized bodies are refused before any view runs.
    "core.api.guard.RequestGuardMiddleware",
    # Serves static files (admin, hosted pages, API docs) from gunicorn itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # After CSPMiddleware, so its answer passes here first: admin pages' script policy.
    "core.backoffice.csp.BackOfficePolicyMiddleware",
    "checkout.hosted.policy.EmbeddedCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this login passed a second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its answer.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

if IS_PRODUCTION:
    DATABASES = {"default": env.db("DATABASE_URL")}
elif TESTING:
    DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres:postgres@127.0.0.1:5432/payments")}
else:
    DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
# Parallel test runs on one server (several developers, xdist) each get their own database.
DATABASES["default"].setdefault("TEST", {})
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"]["NAME"] = env.str("TEST_DATABASE_NAME")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0 if TESTING else 60)
# A kept connection is checked before a request or task reuses it, so a restarted database
# costs one failed ping instead of one failed request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database is shared by web, worker and beat: wait for the write lock.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
# The shopper's languages (hosted pages, their emails); the locale comes from the
# checkout session or the browser (checkout/languages.py). Catalogs are compiled .mo
# files kept in the repository, so a fresh clone serves German with no gettext installed.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
# Nothing is uploaded, but with no MEDIA_URL Django's test server tries every path as a
# file under MEDIA_ROOT (the working directory) first: a long id became an OSError (500).
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
# Production serves what `collectstatic` gathered; elsewhere files come straight from the apps.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing one
WHITENOISE_AUTOREFRESH = DEBUG

# Content-Security-Policy (django-csp 4): our own origin only, everywhere. Inline styles
# stay allowed site-wide for the small server pages that carry one; the hosted checkout
# (/pay/) allows none and widens form-action/img-src per merchant (checkout/hosted/policy.py).
# Excluded: the API docs (Swagger UI, self-hosted, starts from an inline script) and the simulator, which stands for
# the card issuer's own site and redirects to wherever the payment's return URL points.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/v1/docs/", "/simulator/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Back office -------------------------------------------------------------------------
# Staff sign in with a password and a TOTP code (django-otp). Required in production; the
# local run command and the tests leave it off so the demo stays one step (a user with a
# confirmed device is still asked for its code).
BACKOFFICE_REQUIRE_2FA = env.bool("BACKOFFICE_REQUIRE_2FA", default=IS_PRODUCTION)
# Staff sign in at /admin/login/ (the only sign-in there is): afterwards, the dashboard.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Payments back office")
# Login lockout (django-axes): this many failures for one username from one address locks
# that pair out for the cool-off; the client address is read as everywhere else (NUM_PROXIES).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# No access log of every successful login: the failures are what a lockout needs.
AXES_DISABLE_ACCESS_LOG = True
# django-unfold: the sidebar and the home dashboard are built from what the apps register
# (core/backoffice/registry.py), so each app adds its own menu and "work waiting" tile.
UNFOLD = {
    "SITE_TITLE": "Payments back office",
    "SITE_HEADER": "Payments back office",
    "SITE_SYMBOL": "payments",
    "STYLES": ["core.backoffice.dashboard.stylesheet"],
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "DASHBOARD_CALLBACK": "core.backoffice.dashboard.dashboard_callback",
    "ENVIRONMENT": "core.backoffice.dashboard.environment_callback",
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": "core.backoffice.navigation.sidebar",
    },
    "LOGIN": {"form": "core.backoffice.otp.BackOfficeLoginForm"},
    "ACCOUNT": {
        "navigation": [{"title": "Two-factor authentication", "link": "core.backoffice.navigation.otp_setup_link"}]
    },
    "COLORS": {
        "primary": {
            "50": "238 242 255",
            "100": "224 231 255",
            "200": "199 210 254",
            "300": "165 180 252",
            "400": "129 140 248",
            "500": "99 102 241",
            "600": "79 70 229",
            "700": "67 56 202",
            "800": "55 48 163",
            "900": "49 46 129",
            "950": "30 27 75",
        },  # fmt: skip
    },
}

# --- Celery -----------------------------------------------------------------------------
if IS_PRODUCTION:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
elif TESTING:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
else:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    # Kombu's filesystem transport, with message files written whole before they appear.
    CELERY_BROKER_TRANSPORT = "core.fs_broker:Transport"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast/control messages too, or kombu writes a control/ folder wherever it runs.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# --- Cache (rate limits) --------------------------------------------------------------
# Rate-limit counters must be shared by every web process: Redis in production (CACHE_URL,
# or the broker when it is Redis). The local run command keeps them in process memory.
_broker_is_redis = CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
if IS_PRODUCTION:
    CACHE_URL = env.str("CACHE_URL", default=CELERY_BROKER_URL if _broker_is_redis else "")
    if not CACHE_URL.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured("CACHE_URL must be a redis:// address in production (shared rate limits)")
else:
    CACHE_URL = env.str("CACHE_URL", default=CELERY_BROKER_URL if TESTING and _broker_is_redis else "locmem://")
if TESTING and CACHE_URL.startswith("redis://") and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    # Parallel test processes each get a Redis database of their own: a test's cache.clear()
    # (FLUSHDB) must not wipe the rate-limit counters another process's test is counting.
    _cache_base, _, _cache_db = CACHE_URL.rpartition("/")
    if not _cache_db.isdigit():
        _cache_base, _cache_db = CACHE_URL.rstrip("/"), "0"
    _cache_db = int(_cache_db)
    CACHE_URL = f"{_cache_base}/{(_cache_db + 1 + int(os.environ['PYTEST_XDIST_WORKER'][2:])) % 16}"
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL must be redis://… or locmem://, not {CACHE_URL!r}")
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="payments")

CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# django-celery-beat's DatabaseScheduler, recording its ticks for GET /health (core/beat.py).
CELERY_BEAT_SCHEDULER = "core.beat:HeartbeatScheduler"

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "merchants.authentication.SecretKeyAuthentication",
        "merchants.authentication.MerchantOAuth2Authentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["merchants.permissions.IsMerchantSecret"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": None,
    # Proxies in front of the app that append to X-Forwarded-For; 0: the peer address is
    # the client (a client-supplied X-Forwarded-For must never pick its own rate-limit bucket).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Checkout & Payments API",
    "DESCRIPTION": (
        "Checkout sessions, totals, payments and refunds for merchant integrations. "
        "Authenticate with `Authorization: Bearer sk_test_...` or an OAuth2 access token. "
        "Every mutating call accepts an `Idempotency-Key` header. Money is an integer in the "
        "currency's minor unit."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/v1",
    # Swagger UI's assets are served from our own static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaptureModeEnum": "merchants.models.Merchant.CaptureMode",
        # The API document's auto | manual, with `automatic` accepted as an alias.
        "DocumentCaptureModeEnum": "core.api.serializers.CAPTURE_MODE_CHOICES",
        "WebhookEndpointStatusEnum": "merchants.webhooks.models.WebhookEndpoint.Status",
        # Health's `status` shares its field name with the endpoint's; name both explicitly.
        "HealthStatusEnum": [("ok", "ok"), ("degraded", "degraded")],
        # POST /sessions/{id}/resolve's actions, also listed per row of GET /failures.
        "ResolveActionEnum": "checkout.services.remediation.ACTION_CHOICES",
        "StatementFormatEnum": "reconciliation.models.Format",
        "TokenizeTypeEnum": [("card", "card"), ("bank_transfer", "bank_transfer")],
        "ExportTypeEnum": "ledger.models.Export.Type",
        "ExportFormatEnum": "ledger.models.Export.Format",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The refusals any operation can answer (400, 412, 413), documented in one place.
        "core.api.schema.document_request_refusals",
    ],
}

OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "SCOPES": {"checkout": "Create and manage checkout sessions and payments"},
    "DEFAULT_SCOPES": ["checkout"],
    "ALLOWED_GRANT_TYPES": ["client_credentials"],
    # RFC 9700: a token in a URL ends up in proxy and browser logs, so only the header is
    # taken; and only the token's SHA-256 (token_checksum) is stored, so a database read
    # yields no live token.
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}
# Named explicitly because our models point at the (swappable) OAuth2 application.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"

# Fernet key(s) for data that is encrypted at rest because it must be read back (webhook
# signing secrets, stored idempotent responses); a comma-separated list rotates keys (the
# first encrypts, all decrypt). Outside production it is derived from SECRET_KEY.
if IS_PRODUCTION:
    ENCRYPTION_KEYS = env.str("ENCRYPTION_KEYS")
else:
    ENCRYPTION_KEYS = env.str(
        "ENCRYPTION_KEYS",
        default=base64.urlsafe_b64encode(hashlib.sha256(f"encryption:{SECRET_KEY}".encode()).digest()).decode(),
    )

# How long a stored Idempotency-Key result is replayed before the prune job removes it.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
# A request holding a key longer than this is presumed dead and its key may be taken over.
IDEMPOTENCY_LOCK_TIMEOUT_SECONDS = env.int("IDEMPOTENCY_LOCK_TIMEOUT_SECONDS", default=300)
# Per-process caches of API keys and rate/tax tables (core/process_cache.py); they switch
# themselves off where the shared cache is process-local.
PROCESS_CACHE_ENABLED = env.bool("PROCESS_CACHE_ENABLED", default=True)

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if IS_PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="payments@localhost")

# --- Observability ------------------------------------------------------------------------
# One formatter for every line (core.logs): JSON objects in production, readable lines
# elsewhere; each carries the request id and is scrubbed of card data and secrets.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if IS_PRODUCTION else "console")
if LOG_FORMAT not in {"json", "console"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or console, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "core.logs.formatter", "json": LOG_FORMAT == "json"}},
    "filters": {"no_request_bodies": {"()": "core.logs.DropRequestBodies"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # The Stripe SDK logs request bodies (card numbers, on tokenize) at DEBUG: never below
        # INFO, and the filter drops that record even if someone lowers the level again.
        "stripe": {"level": "INFO", "filters": ["no_request_bodies"]},
        # It notes every header it reads at INFO; the id is on every line anyway.
        "django_guid": {"level": "WARNING"},
    },
}
# The request id: a caller's sane X-Request-ID (core.request_id decides), else a new one;
# answered in the same header. Celery is carried by core.request_id's own signal handlers.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": False,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
}
# Prometheus metrics at /metrics, for a scraper holding `Authorization: Bearer METRICS_TOKEN`.
# Unset in production: the path answers 404 (serve it only once a token is chosen).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="" if IS_PRODUCTION else "local-metrics-token")
# Web and worker processes on one host add their counters up when PROMETHEUS_MULTIPROC_DIR
# names a directory they share (read by prometheus_client itself; see the README).

if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Merchant webhooks and callbacks ------------------------------------------------------
# Plain-HTTP and private/loopback receivers are allowed only where nothing real is at stake;
# in production every URL must be https and resolve to public addresses only (SSRF).
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=DEBUG or APP_ENV in {"local", "test"})
# Delay before each retry (seconds): 5s, 5m, 30m, 2h, 5h, 10h, 10h, 14h, 20h, 10h, i.e.
# 11 attempts over about 3 days, each delay varied by +/- WEBHOOK_RETRY_JITTER.
WEBHOOK_RETRY_SCHEDULE_SECONDS = env.list(
    "WEBHOOK_RETRY_SCHEDULE_SECONDS",
    cast=float,
    default=[5, 300, 1800, 7200, 18000, 36000, 36000, 50400, 72000, 36000],
)
WEBHOOK_RETRY_JITTER = env.float("WEBHOOK_RETRY_JITTER", default=0.1)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# A claimed delivery not recorded within the lease is presumed abandoned (worker died).
WEBHOOK_CLAIM_LEASE_SECONDS = env.float("WEBHOOK_CLAIM_LEASE_SECONDS", default=60.0)
# How long after its due time the sweeper waits before re-queuing what was never picked up.
WEBHOOK_SWEEP_GRACE_SECONDS = env.float("WEBHOOK_SWEEP_GRACE_SECONDS", default=30.0)
# Longer retry delays are left to the sweeper: broker ETAs beyond the visibility timeout redeliver.
WEBHOOK_MAX_COUNTDOWN_SECONDS = env.float("WEBHOOK_MAX_COUNTDOWN_SECONDS", default=300.0)
WEBHOOK_DISABLE_AFTER_DAYS = env.int("WEBHOOK_DISABLE_AFTER_DAYS", default=5)
WEBHOOK_SECRET_OVERLAP_HOURS = env.int("WEBHOOK_SECRET_OVERLAP_HOURS", default=24)
WEBHOOK_MAX_ENDPOINTS_PER_MERCHANT = env.int("WEBHOOK_MAX_ENDPOINTS_PER_MERCHANT", default=16)

# --- Payments ---------------------------------------------------------------------------
# A shopper has this long to finish a 3-D Secure challenge; an authorization is held this
# long before it is voided (most card networks let it lapse after about 7 days).
PAYMENTS_3DS_TIMEOUT_MINUTES = env.int("PAYMENTS_3DS_TIMEOUT_MINUTES", default=15)
PAYMENTS_AUTHORIZATION_VALIDITY_DAYS = env.int("PAYMENTS_AUTHORIZATION_VALIDITY_DAYS", default=7)
# A gateway call claimed longer ago than this without a recorded answer is presumed dead:
# a retried confirm or the janitor may repeat it with the same outgoing idempotency key.
PAYMENTS_CALL_STALE_SECONDS = env.int("PAYMENTS_CALL_STALE_SECONDS", default=60)
# Every gateway call gives up before that, so a live call is never presumed dead.
PAYMENTS_GATEWAY_TIMEOUT_SECONDS = env.int("PAYMENTS_GATEWAY_TIMEOUT_SECONDS", default=30)
# How long a concurrent confirm waits for the call another request has in flight.
PAYMENTS_CONFIRM_WAIT_SECONDS = env.float("PAYMENTS_CONFIRM_WAIT_SECONDS", default=10.0)
PAYMENTS_WEBHOOK_TOLERANCE_SECONDS = env.int("PAYMENTS_WEBHOOK_TOLERANCE_SECONDS", default=300)
# The simulator signs what it sends with this secret (derived from SECRET_KEY when unset)
# and posts it to this address; empty hands it to the inbound service in-process.
# The simulator is a test-mode processor: its pages are served only where it is enabled.
PAYMENTS_SIMULATOR_ENABLED = env.bool("PAYMENTS_SIMULATOR_ENABLED", default=not IS_PRODUCTION)
PAYMENTS_SIMULATOR_SECRET = env.str("PAYMENTS_SIMULATOR_SECRET", default="")
PAYMENTS_SIMULATOR_WEBHOOK_BASE_URL = env.str(
    "PAYMENTS_SIMULATOR_WEBHOOK_BASE_URL", default="" if TESTING else PUBLIC_BASE_URL
).rstrip("/")
PAYMENTS_SIMULATOR_WEBHOOK_DELAY_SECONDS = env.float("PAYMENTS_SIMULATOR_WEBHOOK_DELAY_SECONDS", default=1.0)
# Buy now, pay later: how long a shopper has to finish at the provider's page before the
# application expires and the payment intent with it.
BNPL_CHECKOUT_TIMEOUT_MINUTES = env.int("BNPL_CHECKOUT_TIMEOUT_MINUTES", default=30)
# Stripe: the platform's account. STRIPE_API_BASE points the SDK elsewhere (localstripe).
STRIPE_API_KEY = env.str("STRIPE_API_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="").rstrip("/")
# Real Stripe redirects 3-D Secure to a return_url; servers without it answer use_stripe_sdk.
STRIPE_SEND_RETURN_URL = env.bool("STRIPE_SEND_RETURN_URL", default=True)
# Stripe.js on the hosted card form of Stripe merchants: the platform's publishable key
# and where the library is loaded from (Stripe requires js.stripe.com in production; the
# tests point it at localstripe's replacement). Its origin joins the page's CSP.
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_JS_URL = env.url("STRIPE_JS_URL", default="https://js.stripe.com/v3/").geturl()

# Fraud: a MaxMind-format (GeoLite2/GeoIP2 Country or City) database for the IP's
# country; empty: the geolocation rule compares only the countries the payer gave.
GEOIP_DATABASE = env.str("GEOIP_DATABASE", default="")
# Proxies of ours in front of the app: how many X-Forwarded-For entries to trust (0: none).
# One number for every reader of the client IP (fraud signals, DRF throttles): NUM_PROXIES.
TRUSTED_PROXY_COUNT = REST_FRAMEWORK["NUM_PROXIES"]
# KYC documents go through Django's storage API (a private directory here: never served).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
KYC_MAX_UPLOAD_BYTES = env.int("KYC_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)

# --- Operations: health, diagnostics, retention -----------------------------------------
# GET /health calls a heartbeat stale past these ages (the worker's comes every 30 s, beat's
# every 10 s while it ticks).
HEALTH_HEARTBEAT_STALE_SECONDS = {
    "worker": env.int("HEALTH_WORKER_STALE_SECONDS", default=120),
    "beat": env.int("HEALTH_BEAT_STALE_SECONDS", default=120),
}
# Webhook deliveries due longer ago than this and still not delivered make the backlog unhealthy.
HEALTH_WEBHOOK_BACKLOG_SECONDS = env.int("HEALTH_WEBHOOK_BACKLOG_SECONDS", default=900)
HEALTH_WEBHOOK_BACKLOG_MAX = env.int("HEALTH_WEBHOOK_BACKLOG_MAX", default=100)
# GET /threads: jobs running (or waiting on the gateway) longer than this are listed.
THREADS_EXPECTED_SECONDS = env.int("THREADS_EXPECTED_SECONDS", default=120)
# Merchant events (GET /events) and their delivery logs older than this are deleted by the
# daily `merchants.prune_events` job. The audit trail and balance records are kept.
EVENTS_RETENTION_DAYS = env.int("EVENTS_RETENTION_DAYS", default=30)
# Reconciliation: how far a bank line's date may be from the payment's, and what amount
# difference still makes a candidate worth a reviewer's look (minor units); a merchant may
# override either in extra_settings (reconciliation_date_tolerance_days / _amount_tolerance).
RECONCILIATION_DATE_TOLERANCE_DAYS = env.int("RECONCILIATION_DATE_TOLERANCE_DAYS", default=3)
RECONCILIATION_AMOUNT_TOLERANCE = env.int("RECONCILIATION_AMOUNT_TOLERANCE", default=500)
RECONCILIATION_MAX_STATEMENT_BYTES = env.int("RECONCILIATION_MAX_STATEMENT_BYTES", default=50 * 1024 * 1024)
# The embedded default statement source: one folder per merchant under this one.
RECONCILIATION_STATEMENTS_DIR = Path(env.str("RECONCILIATION_STATEMENTS_DIR", default=str(VAR_DIR / "statements")))
# --- Ledger: balance transactions, payouts, analytics, exports ---------------------------
# A payout leaves on a business day and reaches the merchant's bank this many business days later.
LEDGER_PAYOUT_TRANSIT_DAYS = env.int("LEDGER_PAYOUT_TRANSIT_DAYS", default=1)
# A finished export's download link stays valid this long (signed, not stored).
LEDGER_EXPORT_LINK_SECONDS = env.int("LEDGER_EXPORT_LINK_SECONDS", default=3600)
