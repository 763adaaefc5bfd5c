"""The command line: migrate, seed-demo (idempotent), create-admin."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select, text
from typer.testing import CliRunner

from api.cli import app as cli
from models.organisations import Membership, Organisation, User
from services.db import Database
from services.settings import get_settings

runner = CliRunner()


def _counts(settings) -> tuple[int, int, int]:
    async def run():
        db = Database(settings)
        try:
            async with db.session_scope() as s:
                return tuple(
                    [await s.scalar(select(func.count()).select_from(m)) for m in (Organisation, User, Membership)]
                )
        finally:
            await db.dispose()

    return asyncio.run(run())


def _use(monkeypatch, settings) -> None:
    monkeypatch.setenv("TTM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TTM_JWT_KEY_DIR", str(settings.jwt_key_dir))
    monkeypatch.setenv("TTM_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("TTM_ARGON2_MEMORY_KIB", "64")
    get_settings.cache_clear()


def test_seed_demo_is_idempotent(settings, db, monkeypatch):
    _use(monkeypatch, settings)
    first = runner.invoke(cli, ["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = _counts(settings)
    assert counts[0] >= 8 and counts[1] >= 14
    second = runner.invoke(cli, ["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "nothing new" in second.output
    assert _counts(settings) == counts
    get_settings.cache_clear()


def test_create_admin_then_sign_in(settings, db, monkeypatch):
    _use(monkeypatch, settings)
    r = runner.invoke(cli, ["create-admin", "--email", "Root@Example.com", "--password", "a-strong-password"])
    assert r.exit_code == 0, r.output
    assert "created" in r.output

    async def check():
        # A database of this event loop's own: the `db` fixture's pool belongs to the test's loop.
        own = Database(settings)
        try:
            async with own.session_scope() as s:
                return await s.scalar(select(User).where(User.email == "root@example.com"))
        finally:
            await own.dispose()

    user = asyncio.run(check())
    assert user.is_platform_admin
    short = runner.invoke(cli, ["create-admin", "--email", "x@example.com", "--password", "short"])
    assert short.exit_code != 0
    get_settings.cache_clear()


def test_migrate_is_a_no_op_at_head(settings, db, monkeypatch):
    _use(monkeypatch, settings)
    r = runner.invoke(cli, ["migrate"])
    assert r.exit_code == 0, r.output
    get_settings.cache_clear()


def test_ledger_verify_passes_on_the_demo_data(settings, db, monkeypatch):
    _use(monkeypatch, settings)
    assert runner.invoke(cli, ["seed-demo"]).exit_code == 0
    result = runner.invoke(cli, ["ledger-verify"])
    assert result.exit_code == 0, result.output
    assert "every promise holds" in result.output


def test_ledger_verify_fails_naming_the_offending_ids(settings, db, monkeypatch):
    _use(monkeypatch, settings)
    assert runner.invoke(cli, ["seed-demo"]).exit_code == 0

    async def tamper() -> str:
        database = Database(settings)
        try:
            async with database.session_scope() as s:
                row = (await s.execute(text("SELECT id, number FROM settlements LIMIT 1"))).one()
                await s.execute(text("UPDATE settlements SET paid_amount = 1 WHERE id = :id"), {"id": row[0]})
                return row[1]
        finally:
            await database.dispose()

    number = asyncio.run(tamper())
    result = runner.invoke(cli, ["ledger-verify"])
    assert result.exit_code == 1
    assert number in result.output


def test_openapi_writes_the_document_the_app_serves(settings, monkeypatch, tmp_path, shared_app):
    """`ttm openapi` is what client generators read (clients/typescript): the served document, as
    JSON, on stdout with nothing else there (log lines go to stderr), or in the named file."""
    _use(monkeypatch, settings)
    served = shared_app.openapi()
    out = tmp_path / "nested" / "openapi.json"
    r = runner.invoke(cli, ["openapi", "--output", str(out)])
    assert r.exit_code == 0, r.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(served))
    assert written["paths"]["/api/v1/bookings"]["post"]["operationId"] == "createBooking"

    r = runner.invoke(cli, ["openapi"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == written
    get_settings.cache_clear()
