"""Configuration classes. Every setting can be given as an ``SSPF_*`` environment variable.

Production refuses to start without its secrets; only development and test may generate them,
and they write them under ``instance/`` with file mode 0600 (see ``sspf.bootstrap``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = Path(os.environ.get("SSPF_INSTANCE_DIR", ROOT / "instance"))


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"SSPF_{name}")
    return value if value not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


class Config:
    """Settings common to every environment."""

    ENV_NAME = "base"
    INSTANCE_DIR = INSTANCE
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
    #: hide_parameters keeps bound values (which may be personal data) out of error messages and logs.
    #: No pool_pre_ping: sspf.db pings only connections that sat idle (a round trip saved per request).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"hide_parameters": True}
    #: Keys never live in the database; these files (or SSPF_KEYRING) hold them.
    SSPF_KEYRING_FILE = _env("KEYRING_FILE")
    SSPF_AUDIT_KEY_FILE = _env("AUDIT_KEY_FILE")
    SSPF_AUDIT_SIGNING_KEY_FILE = _env("AUDIT_SIGNING_KEY_FILE")
    SSPF_CHECKPOINT_DIR = _env("CHECKPOINT_DIR")
    SSPF_CHECKPOINT_INTERVAL = _int("CHECKPOINT_INTERVAL", 60)
    #: Seal the audit chain inside the request instead of in the background (tests want it at once).
    SSPF_AUDIT_SEAL_SYNC = _bool("AUDIT_SEAL_SYNC", False)
    SSPF_REDIS_URL = _env("REDIS_URL")
    SSPF_REQUIRE_MFA = _bool("REQUIRE_MFA", True)
    SSPF_IDLE_TIMEOUT = timedelta(minutes=_int("IDLE_TIMEOUT_MINUTES", 30))
    SSPF_ABSOLUTE_TIMEOUT = timedelta(hours=_int("ABSOLUTE_TIMEOUT_HOURS", 12))
    SSPF_LOCKOUT_THRESHOLD = _int("LOCKOUT_THRESHOLD", 5)
    SSPF_LOCKOUT_MINUTES = _int("LOCKOUT_MINUTES", 15)
    SSPF_LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "30 per minute")
    SSPF_LOGIN_ACCOUNT_RATE_LIMIT = _env("LOGIN_ACCOUNT_RATE_LIMIT", "10 per minute")
    SSPF_MUNICIPALITY = _env("MUNICIPALITY", "Nacka kommun")
    #: Coded lists, legal bases, age band and consent rules (default: sspf/data/catalogue.json).
    SSPF_CATALOGUE_FILE = _env("CATALOGUE_FILE")
    SSPF_TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    #: argon2id cost; tests lower it, production keeps the library's recommended profile.
    SSPF_ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 3)
    SSPF_ARGON2_MEMORY_KIB = _int("ARGON2_MEMORY_KIB", 65536)
    SESSION_COOKIE_NAME = "sspf"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    LANGUAGES = ("sv", "en")
    HSTS = False
    #: Development may create missing secrets under instance/; production never does.
    GENERATE_MISSING_SECRETS = False
    RATELIMIT_HEADERS_ENABLED = False

    @classmethod
    def ratelimit_storage(cls) -> str:
        return cls.SSPF_REDIS_URL or "memory://"


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE / 'sspf.db'}")
    SSPF_REQUIRE_MFA = _bool("REQUIRE_MFA", False)
    GENERATE_MISSING_SECRETS = True


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SSPF_REQUIRE_MFA = False
    SSPF_ARGON2_TIME_COST = 1
    SSPF_ARGON2_MEMORY_KIB = 1024
    GENERATE_MISSING_SECRETS = True
    SSPF_CHECKPOINT_INTERVAL = 0
    SSPF_AUDIT_SEAL_SYNC = True


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    HSTS = True

    REQUIRED = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SSPF_KEYRING_FILE", "SSPF_AUDIT_KEY_FILE",
                "SSPF_AUDIT_SIGNING_KEY_FILE", "SSPF_CHECKPOINT_DIR")


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("SSPF_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise SystemExit(f"SSPF_ENV={name!r} is not one of {', '.join(CONFIGS)}") from None
