"""The migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from migrations.autogen import include_name, render_item
from models import metadata
from services import migrations
from services.db import create_engine


async def _diff(settings) -> list:
    engine = create_engine(settings, null_pool=True)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn):
                context = MigrationContext.configure(
                    sync_conn,
                    opts={"compare_type": True, "render_item": render_item, "include_name": include_name},
                )
                return compare_metadata(context, metadata)

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def _tables(settings) -> set[str]:
    engine = create_engine(settings, null_pool=True)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def test_autogenerate_finds_no_difference(settings):
    assert asyncio.run(_diff(settings)) == []


def test_downgrade_to_base_and_upgrade_again(settings):
    migrations.downgrade(settings, "base")
    assert asyncio.run(_tables(settings)) <= {"alembic_version"}
    migrations.upgrade(settings, "head")
    assert {t.name for t in metadata.sorted_tables} <= asyncio.run(_tables(settings))
    assert asyncio.run(_diff(settings)) == []
