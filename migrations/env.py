"""Alembic environment: async engine from the settings; batch mode on SQLite."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from models import metadata
from models.base import UTCDateTime
from services.db import create_engine
from services.settings import Settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _settings() -> Settings:
    url = config.attributes.get("database_url")
    return Settings(database_url=url) if url else Settings()


def render_item(type_: str, obj: object, autogen_context) -> str | bool:
    """Render our TypeDecorators as the plain types they store, so revisions import only `sa`."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Objects autogenerate cannot see in the models, created by hand in revisions: the SQLite FTS5
# search table (and the shadow tables FTS5 keeps beside it), PostgreSQL's generated tsvector
# column on listings and its GIN index.
UNMODELLED_TABLE_PREFIXES = ("listing_fts",)
UNMODELLED_INDEXES = frozenset({"ix_listings_search_tsv"})
UNMODELLED_COLUMNS = frozenset({("listings", "search_tsv")})


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Leave hand-made objects out of the comparison, so autogenerate finds no difference."""
    if type_ == "table" and name and name.startswith(UNMODELLED_TABLE_PREFIXES):
        return False
    if type_ == "index" and name in UNMODELLED_INDEXES:
        return False
    if type_ == "column" and (parent_names.get("table_name"), name) in UNMODELLED_COLUMNS:
        return False
    return True


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_name=include_name,
        transaction_per_migration=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_settings().database_url,
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=_settings().is_sqlite,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_engine(_settings(), null_pool=True)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_sync(connection)
        return
    asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
