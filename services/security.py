"""Tokens and passwords. The only module that imports python-jose.

Access tokens are ES256 JWTs. The `kid` header must name a configured key and only that key
verifies; the algorithm list is fixed here and never read from the token; `exp`, `iat`, `iss`,
`aud` and `sub` are required. Refresh tokens are opaque random strings whose SHA-256 is stored.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from jose import JWTError, jwk, jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from services import clock
from services.errors import InvalidToken
from services.settings import Environment, Settings, generate_dev_key

log = logging.getLogger(__name__)

ALGORITHM = "ES256"
ALGORITHMS = [ALGORITHM]  # the one list; never taken from the token header
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")


@dataclass(frozen=True)
class SigningKey:
    kid: str
    pem: bytes
    private: bool

    def verifier(self):
        """A verify-only key object: python-jose cannot verify with an EC private key."""
        public_pem = self.pem
        if self.private:
            private = serialization.load_pem_private_key(self.pem, password=None)
            public_pem = private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        return jwk.construct(public_pem.decode(), algorithm=ALGORITHM)


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime


class KeyRing:
    """The configured keys by id, and the one that signs new tokens."""

    def __init__(self, keys: dict[str, SigningKey], active_kid: str) -> None:
        if active_kid not in keys or not keys[active_kid].private:
            raise ValueError(f"the active key id {active_kid!r} has no private key in the key directory")
        self.keys = keys
        self.active_kid = active_kid
        self._verifiers = {kid: key.verifier() for kid, key in keys.items()}

    @classmethod
    def load(cls, settings: Settings) -> KeyRing:
        """Read `<kid>.pem` files; outside production, generate a development key when none exist."""
        directory = settings.resolved_key_dir()
        keys = _read_keys(directory) if directory.is_dir() else {}
        active = settings.jwt_active_kid
        if not keys:
            if settings.env is Environment.production:
                raise RuntimeError(f"no JWT keys in {directory}")
            active = generate_dev_key(directory)
            keys = _read_keys(directory)
        if active is None:
            active = max(kid for kid, key in keys.items() if key.private)
            if settings.env is not Environment.test:
                log.warning("TTM_JWT_ACTIVE_KID unset; signing with development key %s", active)
        return cls(keys, active)

    def verifier_for(self, kid: object):
        if not isinstance(kid, str) or kid not in self._verifiers:
            raise InvalidToken("unknown signing key")
        return self._verifiers[kid]


def _read_keys(directory: Path) -> dict[str, SigningKey]:
    keys: dict[str, SigningKey] = {}
    for path in sorted(directory.glob("*.pem")):
        pem = path.read_bytes()
        keys[path.stem] = SigningKey(kid=path.stem, pem=pem, private=b"PRIVATE KEY" in pem)
    return keys


class TokenService:
    def __init__(self, settings: Settings, keyring: KeyRing) -> None:
        self.settings = settings
        self.keyring = keyring

    def issue_access(self, user_id: uuid.UUID, session_id: uuid.UUID, *, now: datetime | None = None) -> str:
        """A signed access token for the user within one sign-in session."""
        now = now or clock.wall()
        expires = now + timedelta(minutes=self.settings.access_token_minutes)
        claims = {
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "sub": str(user_id),
            "sid": str(session_id),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": secrets.token_urlsafe(12),
        }
        key = self.keyring.keys[self.keyring.active_kid]
        return jwt.encode(claims, key.pem.decode(), algorithm=ALGORITHM, headers={"kid": key.kid})

    def verify_access(self, token: str) -> AccessClaims:
        """The claims of a valid access token, or InvalidToken."""
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("token algorithm not accepted")
        verifier = self.keyring.verifier_for(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                verifier,
                algorithms=ALGORITHMS,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={f"require_{claim}": True for claim in REQUIRED_CLAIMS}
                | {"verify_signature": True, "verify_exp": True, "verify_aud": True, "leeway": 0},
            )
        except JWTError as exc:
            raise InvalidToken("token signature or claims are not valid") from exc
        try:
            return AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidToken("token subject is not valid") from exc


# Refresh tokens: "<token id>.<secret>"; the database keeps SHA-256(secret) only.


def new_refresh_secret() -> tuple[str, bytes]:
    secret = secrets.token_urlsafe(32)
    return secret, hash_secret(secret)


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def secrets_match(secret: str, stored_hash: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def format_refresh_token(token_id: uuid.UUID, secret: str) -> str:
    return f"{token_id.hex}.{secret}"


def parse_refresh_token(token: str) -> tuple[uuid.UUID, str]:
    try:
        token_id, secret = token.split(".", 1)
        return uuid.UUID(hex=token_id), secret
    except (ValueError, AttributeError) as exc:
        raise InvalidToken("malformed refresh token") from exc


def unmatchable_hash(settings: Settings) -> str:
    """An argon2id hash in the encoding pwdlib stores, with the configured costs, of no password:
    random salt and random digest. Checking a password against it does all the work checking a
    real hash does (the costs come from the string) and fails. Written out instead of hashed, so
    starting a worker costs no 19 MiB hash (docs/benchmarks.md, "Peak and steady memory")."""

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode().rstrip("=")

    costs = f"m={settings.argon2_memory_kib},t={settings.argon2_time_cost},p={settings.argon2_parallelism}"
    return f"$argon2id$v=19${costs}${b64(secrets.token_bytes(16))}${b64(secrets.token_bytes(32))}"


class PasswordHasher:
    """argon2id through pwdlib, with costs from the settings.

    Request handlers use `hash_async` / `verify_async`: the work runs in this hasher's own pool of
    `TTM_PASSWORD_HASH_CONCURRENCY` threads (argon2 releases the GIL), so the event loop keeps
    serving while passwords are checked, and a burst of sign-ins queues for those threads instead
    of taking every core. The synchronous methods are for the CLI and tests."""

    def __init__(self, settings: Settings) -> None:
        hasher = Argon2Hasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._hash = PasswordHash((hasher,))
        # Verified against when the e-mail is unknown, so timing does not reveal which accounts exist.
        self._dummy = unmatchable_hash(settings)
        self._pool = ThreadPoolExecutor(max_workers=settings.password_hash_concurrency, thread_name_prefix="argon2")

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """(valid, new hash if the stored one used outdated parameters)."""
        if password_hash is None:
            self._hash.verify(password, self._dummy)
            return False, None
        return self._hash.verify_and_update(password, password_hash)

    async def hash_async(self, password: str) -> str:
        """`hash` in the hasher's thread pool."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.hash, password)

    async def verify_async(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """`verify` in the hasher's thread pool."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.verify, password, password_hash)
