"""The catalogue revision: autogenerate sees no difference from the models, and it downgrades and upgrades."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import inspect

from services import migrations
from services.db import create_engine

FOUNDATION_HEAD = "06065964fc7b"


def _check(settings) -> None:
    """`alembic check`: raises when autogenerate would emit any operation (env.py hooks included)."""
    command.check(migrations.alembic_config(settings))


async def _tables(settings) -> set[str]:
    engine = create_engine(settings, null_pool=True)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def test_autogenerate_finds_no_difference(settings):
    _check(settings)


def test_the_revision_downgrades_and_upgrades_again(settings, is_postgres):
    migrations.downgrade(settings, FOUNDATION_HEAD)
    tables = asyncio.run(_tables(settings))
    assert "listings" not in tables and "listing_fts" not in tables
    migrations.upgrade(settings)
    tables = asyncio.run(_tables(settings))
    assert {"listings", "pilot_results", "instruments", "service_offers", "attachments"} <= tables
    assert ("listing_fts" in tables) is (not is_postgres)
    _check(settings)
