"""Readiness: the database answers and its schema is at the newest migration."""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache

from sqlalchemy import text

from services.db import Database
from services.settings import PROJECT_ROOT

log = logging.getLogger(__name__)


@lru_cache
def expected_revision() -> str | None:
    """The head revision of the migrations shipped with this code."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


async def check_database(db: Database, limit_seconds: float = 2.0) -> dict[str, str | None]:
    """A report with status `ready` or `unavailable` and the reason."""
    try:
        async with asyncio.timeout(limit_seconds):
            async with db.engine.connect() as conn:
                current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except Exception as exc:  # any failure here means "not ready"; the reason is reported
        log.warning("readiness check failed: %s", exc)
        return {"status": "unavailable", "reason": "database unreachable or not migrated"}
    head = expected_revision()
    if current != head:
        return {
            "status": "unavailable",
            "reason": "database schema is not at the latest migration",
            "current": current,
            "expected": head,
        }
    return {"status": "ready", "revision": current}
