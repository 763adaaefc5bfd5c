"""Test harness: a real database built by `alembic upgrade head`, one clean database per test.

SQLite (default): the migrated file is copied for every test. PostgreSQL (TEST_DATABASE_URL):
migrated once, every table truncated after each test. Requests go through the real ASGI app
with real commits, so constraints, triggers and concurrency behave as in production.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.main import create_app
from models import metadata
from services import clock as service_clock
from services import migrations
from services.db import Database, create_engine
from services.settings import Environment, Settings, generate_dev_key
from services.stripe_gateway import StripeGateway
from tests import stripe_fake

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def _async_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def pytest_report_header(config) -> str:
    return f"database: {'PostgreSQL ' + make_url(TEST_DATABASE_URL).database if TEST_DATABASE_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("jwt-keys")
    generate_dev_key(directory)
    return directory


@pytest.fixture(scope="session")
def base_settings(key_dir: Path) -> Settings:
    kid = next(key_dir.glob("*.pem")).stem
    return Settings(
        env=Environment.test,
        database_url="sqlite+aiosqlite:///unused.db",
        jwt_key_dir=key_dir,
        jwt_active_kid=kid,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        log_level="WARNING",
        log_json=False,
        login_max_failures=5,
        idempotency_wait_seconds=10,
    )


async def _reset_postgres_schema(url: str) -> None:
    engine = create_engine(Settings(database_url=url), null_pool=True)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory, base_settings: Settings) -> str:
    """The URL of a database at head: a template SQLite file, or the PostgreSQL test database."""
    if TEST_DATABASE_URL:
        url = _async_url(TEST_DATABASE_URL)
        asyncio.run(_reset_postgres_schema(url))
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'template.db'}"
    migrations.upgrade(base_settings.model_copy(update={"database_url": url}))
    return url


@pytest.fixture
def is_postgres() -> bool:
    return bool(TEST_DATABASE_URL)


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    if TEST_DATABASE_URL:
        return migrated_database
    template = Path(make_url(migrated_database).database)
    target = tmp_path / "test.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def settings(base_settings: Settings, database_url: str) -> Settings:
    return base_settings.model_copy(update={"database_url": database_url})


async def _truncate_all(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    try:
        yield database
    finally:
        if TEST_DATABASE_URL:
            await _truncate_all(database)
        await database.dispose()


@pytest.fixture(scope="session")
def shared_app(base_settings: Settings):
    """One application for the whole run: building it (routes, dependency graphs, OpenAPI models)
    costs more than most tests. Each test points it at its own database and settings (`app`)."""
    return create_app(base_settings, database=Database(base_settings))


@pytest.fixture
def app(shared_app, settings: Settings, db: Database) -> Iterator[Any]:
    """The application, serving this test's database with this test's settings."""
    state = shared_app.state
    saved = (state.settings, state.db, state.auth.settings)
    state.settings, state.db, state.auth.settings = settings, db, settings
    try:
        yield shared_app
    finally:
        state.settings, state.db, state.auth.settings = saved


class TestClock:
    """The services' clock (services/clock.py), stopped and moved by a test."""

    __test__ = False  # not a test class

    @property
    def now(self) -> datetime:
        return service_clock.now()

    def set(self, when: datetime) -> None:
        service_clock.set(when)

    def advance(self, **kwargs: float) -> None:
        service_clock.advance(timedelta(**kwargs))


@pytest.fixture(autouse=True)
def _wall_clock_after_each_test() -> Iterator[None]:
    yield
    service_clock.reset()


@pytest.fixture
def clock() -> TestClock:
    """The services' clock for this test: `clock.set(...)` stops it at a time, `advance(hours=1)`
    moves it; it runs on the wall clock again after the test."""
    return TestClock()


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[tuple[Any, str]]:
    """One local fake of Stripe's API for the run (tests/stripe_fake.py); each test resets it."""
    with stripe_fake.serve() as served:
        yield served


@pytest.fixture
def stripe(app, settings: Settings, stripe_server) -> Iterator[Any]:
    """Card payments on: the app's gateway is the real `stripe` library pointed at the fake, with a
    webhook secret; the fake (its state reset) is what the test drives as the card holder and as Stripe."""
    fake, url = stripe_server
    fake.reset()
    card_settings = settings.model_copy(
        update={
            "stripe_api_key": "sk_test_fake",
            "stripe_webhook_secret": stripe_fake.WEBHOOK_SECRET,
            "stripe_api_base": url,
        }
    )
    saved = app.state.stripe
    app.state.stripe = StripeGateway(card_settings)
    try:
        yield fake
    finally:
        app.state.stripe = saved


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def anyio_backend() -> Iterator[str]:
    yield "asyncio"
