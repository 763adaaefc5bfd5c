"""Sign-in and registration under attack, and account control (issue 12 items 2 and 4):
argon2 off the event loop with bounded concurrency, the per-e-mail limit exact under concurrency,
registration limited per client address, changing a password, disabling an account."""

from __future__ import annotations

import asyncio
import threading
import uuid

import httpx
import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import func, select

from models.auth import AuthSession, LoginAttempt
from models.enums import OrganisationKind, Role
from models.organisations import User
from services.security import PasswordHasher
from tests.factories.organisations import PASSWORD, build, create_org, create_user, make_uscc

API = "/api/v1"


def registration(**overrides) -> dict:
    body = {
        "email": f"owner-{uuid.uuid4().hex[:8]}@example.com",
        "password": "a-long-enough-password",
        "full_name": "王小明",
        "organisation": {"name": "苏州测试新材料有限公司", "uscc": make_uscc(), "region": "320500"},
    }
    body.update(overrides)
    return body


async def sign_in(client, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post(f"{API}/auth/token", data={"username": email, "password": password})


def bearer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


class Recorder:
    """Wraps pwdlib's PasswordHash: records where each call ran and how many ran at once. Each call
    waits (up to `hold` seconds) for `meet` calls to be inside together, so calls that can overlap do."""

    def __init__(self, inner, meet: int = 1, hold: float = 2.0) -> None:
        self.inner, self.meet, self.hold = inner, meet, hold
        self.inside = self.most = 0
        self.on_loop: list[bool] = []
        self.cond = threading.Condition()

    def _run(self, fn, *args):
        try:
            asyncio.get_running_loop()
            self.on_loop.append(True)
        except RuntimeError:
            self.on_loop.append(False)
        with self.cond:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.inside >= self.meet, timeout=self.hold)
        try:
            return fn(*args)
        finally:
            with self.cond:
                self.inside -= 1

    def hash(self, password):
        return self._run(self.inner.hash, password)

    def verify(self, password, password_hash):
        return self._run(self.inner.verify, password, password_hash)

    def verify_and_update(self, password, password_hash):
        return self._run(self.inner.verify_and_update, password, password_hash)


class TestUnknownEMails:
    def test_the_unknown_e_mail_check_costs_what_a_real_one_does_and_never_matches(self, settings):
        import argon2

        from services.security import unmatchable_hash

        hasher = PasswordHasher(settings)
        real = hasher.hash(PASSWORD)
        assert argon2.extract_parameters(hasher._dummy) == argon2.extract_parameters(real)
        assert hasher.verify(PASSWORD, None) == (False, None)
        assert unmatchable_hash(settings) != unmatchable_hash(settings)  # a fresh salt each time

    def test_making_the_hasher_hashes_nothing(self, settings, monkeypatch):
        # A hash at start-up would hold 19 MiB for a moment in every worker that starts.
        from pwdlib import PasswordHash

        def refuse(*args, **kwargs):
            raise AssertionError("hashed while starting")

        monkeypatch.setattr(PasswordHash, "hash", refuse)
        monkeypatch.setattr(PasswordHash, "verify", refuse)
        PasswordHasher(settings)

    def test_production_costs_are_in_the_dummy(self, settings):
        import argon2

        from services.security import unmatchable_hash

        costs = settings.model_copy(update={"argon2_memory_kib": 19456, "argon2_time_cost": 2, "argon2_parallelism": 1})
        params = argon2.extract_parameters(unmatchable_hash(costs))
        assert (params.memory_cost, params.time_cost, params.parallelism) == (19456, 2, 1)
        assert (params.salt_len, params.hash_len, params.type) == (16, 32, argon2.Type.ID)


class TestArgon2OffTheEventLoop:
    async def test_hashing_runs_in_threads_at_most_the_configured_number_at_once(self, settings):
        hasher = PasswordHasher(settings.model_copy(update={"password_hash_concurrency": 2}))
        recorder = Recorder(hasher._hash, meet=2)
        hasher._hash = recorder
        stored = hasher.hash(PASSWORD)
        recorder.on_loop.clear()
        results = await asyncio.gather(
            *(hasher.verify_async("wrong-password", stored) for _ in range(5)),
            hasher.verify_async(PASSWORD, stored),
            hasher.hash_async("another-password"),
        )
        assert [valid for valid, _ in results[:6]] == [False] * 5 + [True]
        assert recorder.on_loop == [False] * 7  # never on the event loop's thread
        assert recorder.most == 2  # two at once, never more

    async def test_a_sign_in_verifies_off_the_event_loop(self, client, db, app):
        user = await create_user(db, app)
        passwords = app.state.auth.passwords
        recorder = Recorder(passwords._hash)
        passwords._hash = recorder
        try:
            assert (await sign_in(client, user.email)).status_code == 200
            assert (await sign_in(client, user.email, "wrong-password")).status_code == 401
            assert (await sign_in(client, "nobody@example.com", "wrong-password")).status_code == 401
        finally:
            passwords._hash = recorder.inner
        assert recorder.on_loop == [False, False, False]


class TestThePerEmailLimitUnderConcurrency:
    async def test_fifteen_concurrent_wrong_passwords_check_exactly_five(self, client, db, app, settings):
        user = await create_user(db, app)
        responses = await asyncio.gather(*(sign_in(client, user.email, "wrong-password") for _ in range(15)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [401] * settings.login_max_failures + [429] * (15 - settings.login_max_failures)
        async with db.session_scope() as s:
            recorded = await s.scalar(select(func.count()).select_from(LoginAttempt))
        assert recorded == settings.login_max_failures


class TestRegistrationLimit:
    @pytest.fixture
    def three_per_address(self, app, settings):
        app.state.auth.settings = settings.model_copy(update={"register_max_per_ip": 3})

    async def test_registrations_from_one_address_are_limited(self, client, app, three_per_address):
        for _ in range(3):
            assert (await client.post(f"{API}/auth/register", json=registration())).status_code == 201
        refused = await client.post(f"{API}/auth/register", json=registration())
        assert refused.status_code == 429
        assert refused.json()["type"].endswith("too-many-registrations")
        assert int(refused.headers["Retry-After"]) > 0
        transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as elsewhere:
            assert (await elsewhere.post(f"{API}/auth/register", json=registration())).status_code == 201

    async def test_probing_taken_e_mails_counts_towards_the_limit(self, client, db, app, three_per_address):
        user = await create_user(db, app)
        for _ in range(3):
            taken = await client.post(f"{API}/auth/register", json=registration(email=user.email))
            assert taken.status_code == 409
        assert (await client.post(f"{API}/auth/register", json=registration(email=user.email))).status_code == 429

    async def test_the_limit_is_exact_under_concurrency(self, client, three_per_address):
        responses = await asyncio.gather(*(client.post(f"{API}/auth/register", json=registration()) for _ in range(8)))
        assert sorted(r.status_code for r in responses) == [201] * 3 + [429] * 5


class TestChangingThePassword:
    async def test_the_other_sessions_end_and_this_one_continues(self, client, db, app):
        user = await create_user(db, app)
        here = await sign_in(client, user.email)
        there = await sign_in(client, user.email)
        headers, other = bearer(here), bearer(there)
        changed = await client.post(
            f"{API}/me/password",
            json={"current_password": PASSWORD, "new_password": "a-brand-new-password"},
            headers=headers,
        )
        assert changed.status_code == 204, changed.text
        assert (await client.get(f"{API}/me", headers=headers)).status_code == 200
        assert (await client.get(f"{API}/me", headers=other)).status_code == 401
        refreshed = await client.post(f"{API}/auth/refresh", json={"refresh_token": there.json()["refresh_token"]})
        assert refreshed.status_code == 401
        assert (
            await client.post(f"{API}/auth/refresh", json={"refresh_token": here.json()["refresh_token"]})
        ).status_code == 200
        assert (await sign_in(client, user.email)).status_code == 401
        assert (await sign_in(client, user.email, "a-brand-new-password")).status_code == 200

    async def test_the_current_password_is_required_and_guesses_are_limited(self, client, db, app, settings):
        user = await create_user(db, app)
        headers = bearer(await sign_in(client, user.email))
        body = {"current_password": "a-guess-at-it", "new_password": "a-brand-new-password"}
        for _ in range(settings.login_max_failures):
            wrong = await client.post(f"{API}/me/password", json=body, headers=headers)
            assert wrong.status_code == 401
        assert (await client.post(f"{API}/me/password", json=body, headers=headers)).status_code == 429
        assert (await sign_in(client, user.email)).status_code == 429  # the same per-e-mail limit
        anonymous = await client.post(f"{API}/me/password", json=body)
        assert anonymous.status_code == 401

    async def test_a_weak_new_password_is_422(self, client, db, app):
        user = await create_user(db, app)
        headers = bearer(await sign_in(client, user.email))
        short = await client.post(
            f"{API}/me/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=headers
        )
        assert short.status_code == 422


class TestDisablingAnAccount:
    async def test_its_tokens_stop_at_once(self, client, db, app):
        async with build(db, app) as b:
            admin = b.headers(b.user(platform_admin=True))
            sme = b.org(OrganisationKind.sme)
            user = b.user((sme, Role.sme_admin))
        pair = await sign_in(client, user.email)
        headers = bearer(pair)
        assert (await client.get(f"{API}/me", headers=headers)).status_code == 200
        assert (await client.post(f"{API}/users/{user.id}/disable", headers=admin)).status_code == 204
        assert (await client.get(f"{API}/me", headers=headers)).status_code == 401
        assert (await client.get(f"{API}/organisations/{sme.id}", headers=headers)).status_code == 401
        refreshed = await client.post(f"{API}/auth/refresh", json={"refresh_token": pair.json()["refresh_token"]})
        assert refreshed.status_code == 401
        assert (await sign_in(client, user.email)).status_code == 401
        async with db.session_scope() as s:
            reasons = (await s.scalars(select(AuthSession.revoked_reason).where(AuthSession.user_id == user.id))).all()
        assert reasons == ["account_disabled"]
        assert (await client.post(f"{API}/users/{user.id}/enable", headers=admin)).status_code == 204
        assert (await client.get(f"{API}/me", headers=headers)).status_code == 401  # ended sessions stay ended
        assert (await sign_in(client, user.email)).status_code == 200

    async def test_only_platform_admins_disable_accounts(self, client, db, app):
        org = await create_org(db, OrganisationKind.sme, app=app)
        async with build(db, app) as b:
            manager = b.headers(b.user((org, Role.sme_admin)))
            admin_user = b.user(platform_admin=True)
            admin = b.headers(admin_user)
            member = b.user((org, Role.sme_member))
        assert (await client.post(f"{API}/users/{member.id}/disable", headers=manager)).status_code == 403
        assert (await client.post(f"{API}/users/{uuid.uuid4()}/disable", headers=admin)).status_code == 404
        assert (await client.post(f"{API}/users/{admin_user.id}/disable", headers=admin)).status_code == 422
        assert (await client.post(f"{API}/users/{member.id}/disable")).status_code == 401


class TestRehashOnSignIn:
    """Hashes made with other argon2 parameters (the 64 MiB, t=3, p=4 ones before issue 16) still
    verify, and a successful sign-in replaces them with a hash at the configured parameters."""

    async def test_an_old_parameter_hash_signs_in_and_is_rehashed(self, client, db, app, settings):
        user = await create_user(db, app)
        # The old shape (t=3, p=4) at a test-sized memory cost.
        old = PasswordHash((Argon2Hasher(time_cost=3, memory_cost=256, parallelism=4),)).hash(PASSWORD)
        async with db.session_scope() as session:
            (await session.get(User, user.id)).password_hash = old

        wrong = await sign_in(client, user.email, "not-the-password")
        assert wrong.status_code == 401
        async with db.session_scope() as session:
            assert (await session.get(User, user.id)).password_hash == old  # only a success rehashes

        assert (await sign_in(client, user.email)).status_code == 200
        async with db.session_scope() as session:
            stored = (await session.get(User, user.id)).password_hash
        assert stored != old
        expected = f"m={settings.argon2_memory_kib},t={settings.argon2_time_cost},p={settings.argon2_parallelism}"
        assert f"${expected}$" in stored
        assert app.state.auth.passwords.verify(PASSWORD, stored) == (True, None)  # current: nothing to update
        assert (await sign_in(client, user.email)).status_code == 200
        async with db.session_scope() as session:
            assert (await session.get(User, user.id)).password_hash == stored  # not rehashed again
