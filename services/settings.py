"""Configuration from the environment (prefix `TTM_`), documented in docs/configuration.md."""

from __future__ import annotations

import logging
import secrets
from enum import StrEnum
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Every setting the service reads; see docs/configuration.md for each one."""

    model_config = SettingsConfigDict(env_prefix="TTM_", env_file=".env", extra="ignore")

    env: Environment = Environment.development
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'ttm.db'}"
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    # PostgreSQL: how long a statement may wait for a row lock before it becomes a 409 retry.
    db_lock_timeout_ms: int = Field(default=5000, ge=0)
    db_statement_timeout_ms: int = Field(default=30000, ge=0)
    # SQLite: how long a writer waits for the database lock.
    sqlite_busy_timeout_ms: int = Field(default=10000, ge=0)
    # JWT signing keys: a directory of PEM files, one per key id (`<kid>.pem`). A private key
    # signs and verifies; a public key (`-----BEGIN PUBLIC KEY-----`) only verifies, which is how
    # a retired key keeps verifying tokens already issued during a rotation.
    jwt_key_dir: Path | None = None
    jwt_active_kid: str | None = None
    jwt_issuer: str = "ttm"
    jwt_audience: str = "ttm-api"
    access_token_minutes: int = Field(default=10, ge=1, le=60)
    refresh_token_days: int = Field(default=14, ge=1, le=90)

    # Passwords (argon2id). Lower costs are allowed only outside production (tests use them).
    password_min_length: int = Field(default=10, ge=8)
    password_max_length: int = Field(default=128, le=1024)
    # OWASP's first argon2id setting (m=19 MiB, t=2, p=1): 19 MiB per hash in flight instead of the
    # 64 MiB (t=3, p=4) used before, which set each API worker's peak memory; hashes made with other
    # parameters still verify and are re-hashed at sign-in (docs/security.md has the measurements).
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_kib: int = Field(default=19456, ge=8)
    argon2_parallelism: int = Field(default=1, ge=1, le=16)

    # Failed sign-ins allowed per e-mail and per client address within the window.
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=30, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    # Registrations allowed per client address within the login window (429 beyond).
    register_max_per_ip: int = Field(default=10, ge=1)
    # argon2 runs in worker threads, at most this many at once per process (the rest queue), so
    # hashing never blocks the event loop and a burst of sign-ins cannot take every core.
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)
    # Sign-in attempts older than this are deleted by `ttm prune-login-attempts`.
    login_attempts_retention_days: int = Field(default=30, ge=1)

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Listing attachments (datasheets, images): stored on local disk under this directory.
    attachments_dir: Path = PROJECT_ROOT / "var" / "attachments"
    attachment_max_bytes: int = Field(default=20 * 1_048_576, ge=1024)
    # Bank and Stripe statement uploads (POST /reconciliation/imports, ttm import-statement).
    import_max_bytes: int = Field(default=50 * 1_048_576, ge=1024)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    trusted_proxy_count: int = Field(default=0, ge=0)
    # Client networks allowed to read /metrics (others get 404); loopback by default.
    metrics_allow: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=lambda: [ip_network("127.0.0.0/8"), ip_network("::1/128")]
    )
    idempotency_wait_seconds: float = Field(default=10.0, ge=0)

    # Card payments (optional per deployment: without a key everything but cards works).
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None  # another API address (the tests' local fake); default Stripe's

    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().startswith("["):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("metrics_allow", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            return [ip_network(item.strip(), strict=False) for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.env is Environment.production:
            if self.jwt_key_dir is None or self.jwt_active_kid is None:
                raise ValueError("production needs TTM_JWT_KEY_DIR and TTM_JWT_ACTIVE_KID")
            if self.database_url.startswith("sqlite"):
                log.warning("production mode on SQLite: use PostgreSQL with several processes")
            if self.argon2_memory_kib < 19456 or self.argon2_time_cost < 2:
                raise ValueError("production argon2 costs below the OWASP minimum (19 MiB, t=2)")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_key_dir(self) -> Path:
        """The key directory; outside production a development key is generated once."""
        if self.jwt_key_dir is not None:
            return self.jwt_key_dir
        return PROJECT_ROOT / "var" / "jwt-keys"


def generate_dev_key(directory: Path) -> str:
    """Create an ES256 private key for local use and return its key id."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    directory.mkdir(parents=True, exist_ok=True)
    kid = f"dev-{secrets.token_hex(4)}"
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = directory / f"{kid}.pem"
    path.write_bytes(pem)
    path.chmod(0o600)
    log.warning(
        "generated a development JWT signing key at %s; never use it in production "
        "(set TTM_ENV=production, TTM_JWT_KEY_DIR and TTM_JWT_ACTIVE_KID)",
        path,
    )
    return kid


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
