"""The command line for finance's batch work: `ttm import-statement` and `ttm reconcile`."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from services.settings import get_settings
from tests.factories.ledger import make_books, open_bank_account, owe
from tests.factories.reconciliation import Row, icbc_csv

runner = CliRunner()


@pytest.fixture
def env(settings, monkeypatch):
    monkeypatch.setenv("TTM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TTM_JWT_KEY_DIR", str(settings.jwt_key_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _invoke(*args: str):
    # The CLI runs its own event loop: give it a thread.
    return await asyncio.to_thread(runner.invoke, cli, list(args))


async def test_import_a_statement_then_reconcile_the_month(env, db, app, client, clock, tmp_path):
    clock.set(datetime(2026, 10, 8, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    books = await make_books(db, app)
    bank = await open_bank_account(client, books)
    settlement = await owe(db, books, 250000)
    statement = tmp_path / "工行明细.csv"
    statement.write_bytes(
        icbc_csv(
            [
                Row("2026-10-09", credit="2500.00", serial="CLI-1", memo=settlement.number, balance="2500.00"),
                Row("2026-10-10", credit="9.99", serial="CLI-2", memo="不明来款", balance="2509.99"),
            ]
        )
    )
    args = ["import-statement", str(statement), "--profile", "icbc", "--account", bank["account_number"]]
    first = await _invoke(*args)
    assert first.exit_code == 0, first.output
    assert "2 lines, 2 added, 0 already imported" in first.output
    assert "settlement_number 1" in first.output
    assert "statement 250999, ledger 250000 -> failed" in first.output
    again = await _invoke(*args)
    assert again.exit_code == 1 and "already imported" in again.output
    report = await _invoke("reconcile", "--period", "2026-10", "--centre", str(books.centre.id))
    assert report.exit_code == 1, report.output  # the 9.99 nobody explains: the month cannot close
    assert "settlement_number: 1 match(es), 250000" in report.output
    assert "unmatched lines: 1" in report.output
    assert "FAILED balance check 2026-10-10: statement 250999, ledger 250000" in report.output
    wrong = await _invoke("import-statement", str(statement), "--profile", "hsbc", "--account", bank["id"])
    assert wrong.exit_code != 0
