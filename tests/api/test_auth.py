"""Registration, sign-in, refresh rotation, sign-out, and forged tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwt as jose_jwt
from sqlalchemy import func, select

from models.auth import AuthSession, LoginAttempt
from models.enums import OrganisationKind, Role
from models.organisations import Membership, Organisation, User
from services import clock
from tests.factories.organisations import PASSWORD, auth_headers, create_org, create_user, make_uscc


def registration(**overrides) -> dict:
    body = {
        "email": f"owner-{uuid.uuid4().hex[:8]}@example.com",
        "password": "a-long-enough-password",
        "full_name": "王小明",
        "organisation": {"name": "苏州测试新材料有限公司", "uscc": make_uscc(), "region": "320500"},
    }
    body.update(overrides)
    return body


async def sign_in(client, email: str, password: str = PASSWORD):
    return await client.post("/api/v1/auth/token", data={"username": email, "password": password})


class TestRegister:
    async def test_creates_user_and_sme_with_caller_as_admin(self, client, db):
        body = registration()
        r = await client.post("/api/v1/auth/register", json=body)
        assert r.status_code == 201, r.text
        data = r.json()
        assert data["email"] == body["email"]
        assert "password" not in r.text and "password_hash" not in r.text
        [membership] = data["memberships"]
        assert membership["role"] == "sme_admin"
        assert membership["organisation_kind"] == "sme"
        async with db.session_scope() as s:
            org = await s.get(Organisation, uuid.UUID(membership["organisation_id"]))
            assert org.name == "苏州测试新材料有限公司"
            assert org.verified is False

    async def test_duplicate_email_is_409(self, client):
        body = registration()
        assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
        again = registration(email=body["email"].upper())
        r = await client.post("/api/v1/auth/register", json=again)
        assert r.status_code == 409
        assert r.headers["content-type"] == "application/problem+json"

    async def test_bad_credit_code_check_character_is_422(self, client):
        code = make_uscc()
        wrong = code[:17] + ("0" if code[17] != "0" else "1")
        r = await client.post(
            "/api/v1/auth/register",
            json=registration(organisation={"name": "某公司", "uscc": wrong, "region": "320500"}),
        )
        assert r.status_code == 422
        assert any("check character" in e["msg"] for e in r.json()["errors"])

    @pytest.mark.parametrize("password", ["short", "x" * 129])
    async def test_password_length_limits(self, client, password):
        r = await client.post("/api/v1/auth/register", json=registration(password=password))
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["body", "password"]

    async def test_unknown_fields_are_refused(self, client, db):
        r = await client.post("/api/v1/auth/register", json=registration(is_platform_admin=True))
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["body", "is_platform_admin"]
        async with db.session_scope() as s:
            assert await s.scalar(select(func.count()).select_from(User)) == 0


class TestToken:
    async def test_register_token_me(self, client):
        body = registration()
        await client.post("/api/v1/auth/register", json=body)
        r = await sign_in(client, body["email"], body["password"])
        assert r.status_code == 200, r.text
        tokens = r.json()
        assert tokens["token_type"] == "bearer"
        assert 0 < tokens["expires_in"] <= 3600
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert me.status_code == 200
        assert me.json()["email"] == body["email"]
        assert me.json()["memberships"][0]["organisation_name"] == "苏州测试新材料有限公司"

    async def test_wrong_password_is_401_and_recorded(self, client, db, app):
        user = await create_user(db, app)
        r = await sign_in(client, user.email, "not-the-password")
        assert r.status_code == 401
        assert r.json()["type"].endswith("invalid-credentials")
        async with db.session_scope() as s:
            attempts = (await s.scalars(select(LoginAttempt))).all()
        assert [a.succeeded for a in attempts] == [False]

    async def test_unknown_email_is_the_same_401(self, client):
        r = await sign_in(client, "nobody@example.com", "whatever-password")
        assert r.status_code == 401
        assert r.json()["type"].endswith("invalid-credentials")

    async def test_failed_attempts_are_rate_limited(self, client, db, app, settings):
        user = await create_user(db, app)
        for _ in range(settings.login_max_failures):
            assert (await sign_in(client, user.email, "wrong-password")).status_code == 401
        r = await sign_in(client, user.email, PASSWORD)  # even the right password waits
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) > 0
        assert r.headers["content-type"] == "application/problem+json"

    async def test_per_client_limit_spans_emails(self, client, db, app, settings):
        limited = settings.model_copy(update={"login_max_failures_per_ip": 3})
        app.state.auth.settings = limited
        for i in range(3):
            assert (await sign_in(client, f"nobody{i}@example.com", "wrong-password")).status_code == 401
        user = await create_user(db, app)
        assert (await sign_in(client, user.email, PASSWORD)).status_code == 429

    async def test_disabled_account_cannot_sign_in(self, client, db, app):
        user = await create_user(db, app)
        async with db.session_scope() as s:
            (await s.get(User, user.id)).is_active = False
        assert (await sign_in(client, user.email)).status_code == 401


class TestRefresh:
    async def _pair(self, client, db, app):
        user = await create_user(db, app)
        r = await sign_in(client, user.email)
        return user, r.json()

    async def test_rotation_returns_a_new_pair(self, client, db, app):
        _, pair = await self._pair(client, db, app)
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 200
        new = r.json()
        assert new["refresh_token"] != pair["refresh_token"]
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {new['access_token']}"})
        assert me.status_code == 200

    async def test_reusing_a_spent_token_revokes_the_family(self, client, db, app):
        _, pair = await self._pair(client, db, app)
        first = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        newest = first.json()
        reuse = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert reuse.status_code == 401
        # The legitimate newest tokens of the same family stop working too.
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": newest["refresh_token"]})
        assert r.status_code == 401
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {newest['access_token']}"})
        assert me.status_code == 401
        async with db.session_scope() as s:
            reasons = (await s.scalars(select(AuthSession.revoked_reason))).all()
        assert reasons == ["refresh_token_reused"]

    async def test_tampered_secret_is_401(self, client, db, app):
        _, pair = await self._pair(client, db, app)
        token_id, _ = pair["refresh_token"].split(".", 1)
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": f"{token_id}.forged-secret-value"})
        assert r.status_code == 401

    async def test_expired_refresh_token_is_401(self, client, db, app):
        from models.auth import RefreshToken

        _, pair = await self._pair(client, db, app)
        async with db.session_scope() as s:
            for row in (await s.scalars(select(RefreshToken))).all():
                row.expires_at = clock.wall() - timedelta(seconds=1)  # credentials run on the wall clock
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 401


class TestLogout:
    async def test_logout_ends_refresh_and_access(self, client, db, app):
        user = await create_user(db, app)
        pair = (await sign_in(client, user.email)).json()
        headers = {"Authorization": f"Bearer {pair['access_token']}"}
        r = await client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}, headers=headers)
        assert r.status_code == 204
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 401

    async def test_cannot_end_someone_elses_session(self, client, db, app):
        victim = await create_user(db, app)
        pair = (await sign_in(client, victim.email)).json()
        attacker = await create_user(db, app)
        headers = await auth_headers(db, app, attacker)
        r = await client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}, headers=headers)
        assert r.status_code == 401
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 200


class TestMe:
    async def test_lists_every_membership(self, client, db, app):
        centre = await create_org(db, OrganisationKind.centre, name="某中心")
        sme = await create_org(db, OrganisationKind.sme, name="某企业")
        user = await create_user(db, app, (centre, Role.evaluator), (sme, Role.sme_member))
        r = await client.get("/api/v1/me", headers=await auth_headers(db, app, user))
        assert r.status_code == 200
        roles = {(m["organisation_name"], m["role"]) for m in r.json()["memberships"]}
        assert roles == {("某中心", "evaluator"), ("某企业", "sme_member")}

    async def test_without_token_is_401_with_challenge(self, client):
        r = await client.get("/api/v1/me")
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.headers["content-type"] == "application/problem+json"


# Forged tokens. Each must be refused with 401; a valid token built the same way must pass,
# so the test fails if the check it targets is removed rather than for some other reason.


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256(header: dict, claims: dict, secret: bytes) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


class TestForgedTokens:
    @pytest.fixture
    async def signed_in(self, db, app):
        user = await create_user(db, app)
        async with db.session_scope() as s:
            auth_session = AuthSession(user_id=user.id)
            s.add(auth_session)
        ring = app.state.auth.tokens.keyring
        key = ring.keys[ring.active_kid]
        now = int(time.time())
        claims = {
            "iss": app.state.settings.jwt_issuer,
            "aud": app.state.settings.jwt_audience,
            "sub": str(user.id),
            "sid": str(auth_session.id),
            "iat": now,
            "exp": now + 300,
        }
        return {"claims": claims, "kid": key.kid, "pem": key.pem.decode(), "ring": ring}

    def _sign(self, ctx, claims=None, kid=None, pem=None) -> str:
        return jose_jwt.encode(
            claims if claims is not None else ctx["claims"],
            pem or ctx["pem"],
            algorithm="ES256",
            headers={"kid": kid or ctx["kid"]},
        )

    async def _me(self, client, token: str):
        return await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    async def test_control_a_correctly_signed_token_passes(self, client, signed_in):
        assert (await self._me(client, self._sign(signed_in))).status_code == 200

    async def test_alg_none(self, client, signed_in):
        header = {"alg": "none", "typ": "JWT", "kid": signed_in["kid"]}
        token = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(signed_in['claims']).encode())}."
        assert (await self._me(client, token)).status_code == 401

    def _public_pem(self, ctx) -> bytes:
        private = serialization.load_pem_private_key(ctx["pem"].encode(), password=None)
        return private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    async def test_hs256_signed_with_the_public_key_pem(self, client, signed_in):
        header = {"alg": "HS256", "typ": "JWT", "kid": signed_in["kid"]}
        token = _hs256(header, signed_in["claims"], self._public_pem(signed_in))
        assert (await self._me(client, token)).status_code == 401

    async def test_hs256_signed_with_the_public_key_der(self, client, signed_in):
        private = serialization.load_pem_private_key(signed_in["pem"].encode(), password=None)
        der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header = {"alg": "HS256", "typ": "JWT", "kid": signed_in["kid"]}
        token = _hs256(header, signed_in["claims"], der)
        assert (await self._me(client, token)).status_code == 401

    @pytest.mark.parametrize("claim", ["exp", "aud", "iss", "iat", "sub"])
    async def test_missing_required_claim(self, client, signed_in, claim):
        claims = {k: v for k, v in signed_in["claims"].items() if k != claim}
        assert (await self._me(client, self._sign(signed_in, claims))).status_code == 401

    async def test_expired(self, client, signed_in):
        claims = signed_in["claims"] | {"iat": int(time.time()) - 600, "exp": int(time.time()) - 1}
        assert (await self._me(client, self._sign(signed_in, claims))).status_code == 401

    async def test_wrong_issuer(self, client, signed_in):
        claims = signed_in["claims"] | {"iss": "someone-else"}
        assert (await self._me(client, self._sign(signed_in, claims))).status_code == 401

    async def test_wrong_audience(self, client, signed_in):
        claims = signed_in["claims"] | {"aud": "another-api"}
        assert (await self._me(client, self._sign(signed_in, claims))).status_code == 401

    async def test_unknown_kid(self, client, signed_in):
        assert (await self._me(client, self._sign(signed_in, kid="not-configured"))).status_code == 401

    async def test_foreign_key_under_a_configured_kid(self, client, signed_in):
        other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        token = self._sign(signed_in, pem=other.decode())
        assert (await self._me(client, token)).status_code == 401

    async def test_only_the_named_key_verifies(self, client, signed_in, tmp_path):
        """A token signed by key B but naming key A fails even though B is also configured."""
        from services.security import KeyRing, _read_keys

        other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        ring = signed_in["ring"]
        (tmp_path / f"{ring.active_kid}.pem").write_text(signed_in["pem"])
        (tmp_path / "second.pem").write_bytes(other)
        both = KeyRing(_read_keys(tmp_path), ring.active_kid)
        client._transport.app.state.auth.tokens.keyring = both
        good = self._sign(signed_in, pem=other.decode(), kid="second")
        assert (await self._me(client, good)).status_code == 200
        forged = self._sign(signed_in, pem=other.decode(), kid=ring.active_kid)
        assert (await self._me(client, forged)).status_code == 401

    async def test_garbage(self, client):
        assert (await self._me(client, "not.a.jwt")).status_code == 401
        assert (await self._me(client, "")).status_code == 401


async def test_membership_row_created_once_per_registration(client, db):
    await client.post("/api/v1/auth/register", json=registration())
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count()).select_from(Membership)) == 1
