"""Settings: production refuses unsafe defaults; development generates its own signing key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.security import KeyRing
from services.settings import Environment, Settings


def test_production_requires_configured_keys():
    with pytest.raises(ValidationError, match="TTM_JWT_KEY_DIR"):
        Settings(env=Environment.production, database_url="postgresql+asyncpg://db/ttm")


def test_production_refuses_weak_password_hashing(tmp_path):
    with pytest.raises(ValidationError, match="argon2"):
        Settings(
            env=Environment.production,
            jwt_key_dir=tmp_path,
            jwt_active_kid="k1",
            argon2_memory_kib=64,
            database_url="postgresql+asyncpg://db/ttm",
        )


def test_production_with_an_empty_key_directory_does_not_start(tmp_path):
    settings = Settings(
        env=Environment.production,
        jwt_key_dir=tmp_path,
        jwt_active_kid="k1",
        database_url="postgresql+asyncpg://db/ttm",
    )
    with pytest.raises(RuntimeError, match="no JWT keys"):
        KeyRing.load(settings)


def test_development_generates_a_key_once(tmp_path, caplog):
    settings = Settings(env=Environment.development, jwt_key_dir=tmp_path)
    first = KeyRing.load(settings)
    assert "never use it in production" in caplog.text
    second = KeyRing.load(settings)
    assert first.active_kid == second.active_kid
    assert len(list(tmp_path.glob("*.pem"))) == 1
    assert oct((tmp_path / f"{first.active_kid}.pem").stat().st_mode & 0o777) == "0o600"


def test_active_key_must_have_a_private_key(tmp_path):
    settings = Settings(env=Environment.development, jwt_key_dir=tmp_path)
    ring = KeyRing.load(settings)
    with pytest.raises(ValueError, match="no private key"):
        KeyRing(ring.keys, "missing")
