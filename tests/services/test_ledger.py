"""The ledger's promises held by the database itself (raw SQL, both engines) and by `entries.post`."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from models.base import uuid7
from models.enums import AccountPurpose, EntrySource
from models.ledger import JournalEntry, LedgerAccount, Posting
from services import clock
from services.ledger import chart, entries, periods, verify
from services.ledger.chart import AccountSpec
from tests.factories.ledger import make_books, owe

REFUSED = (IntegrityError, DBAPIError)


@pytest.fixture
async def books(db, app):
    return await make_books(db, app)


async def _accounts(db, books, *purposes: AccountPurpose) -> list[LedgerAccount]:
    async with db.session_scope() as session:
        return [await chart.account(session, books.centre.id, "CNY", AccountSpec(p)) for p in purposes]


def _uid(value: uuid.UUID, is_postgres: bool):
    # SQLAlchemy stores UUIDs as 32 hex digits on SQLite and as uuid on PostgreSQL.
    return value if is_postgres else value.hex


async def _raw_entry(db, books, lines: list[tuple[LedgerAccount, int, str]], is_postgres: bool, *, header=True):
    """Insert postings and then the header with plain SQL, as a client bypassing the services would."""
    entry_id, at = uuid7(), clock.now()
    at_value = at if is_postgres else at.replace(tzinfo=None).isoformat(sep=" ")
    async with db.session_scope() as session:
        for n, (account, amount, currency) in enumerate(lines, start=1):
            await session.execute(
                text(
                    "INSERT INTO ledger_postings "
                    "(id, entry_id, line, account_id, centre_id, amount, currency, booked_at) "
                    "VALUES (:id, :entry, :line, :account, :centre, :amount, :currency, :at)"
                ),
                {
                    "id": _uid(uuid7(), is_postgres),
                    "entry": _uid(entry_id, is_postgres),
                    "line": n,
                    "account": _uid(account.id, is_postgres),
                    "centre": _uid(books.centre.id, is_postgres),
                    "amount": amount,
                    "currency": currency,
                    "at": at_value,
                },
            )
        if header:
            await session.execute(
                text(
                    "INSERT INTO ledger_entries "
                    "(id, centre_id, booked_at, period, description, source, source_ref, created_at) "
                    "VALUES (:id, :centre, :at, :period, 'raw', 'manual', :ref, :at)"
                ),
                {
                    "id": _uid(entry_id, is_postgres),
                    "centre": _uid(books.centre.id, is_postgres),
                    "at": at_value,
                    "period": periods.period_of(at, "Asia/Shanghai"),
                    "ref": str(entry_id),
                },
            )
    return entry_id


async def _count(db, model) -> int:
    async with db.session_scope() as session:
        return await session.scalar(select(func.count()).select_from(model))


class TestTheDatabaseRefuses:
    async def test_an_unbalanced_entry(self, db, books, is_postgres):
        bank, income = await _accounts(db, books, AccountPurpose.receivable, AccountPurpose.grant_income)
        with pytest.raises(REFUSED, match="balance"):
            await _raw_entry(db, books, [(bank, 100, "CNY"), (income, -99, "CNY")], is_postgres)
        assert await _count(db, Posting) == 0

    async def test_a_single_leg_entry(self, db, books, is_postgres):
        (bank,) = await _accounts(db, books, AccountPurpose.receivable)
        with pytest.raises(REFUSED, match="two postings"):
            await _raw_entry(db, books, [(bank, 100, "CNY")], is_postgres)

    async def test_a_mixed_currency_entry(self, db, books, is_postgres):
        (receivable,) = await _accounts(db, books, AccountPurpose.receivable)
        async with db.session_scope() as session:
            usd = await chart.account(session, books.centre.id, "USD", AccountSpec(AccountPurpose.grant_income))
        with pytest.raises(REFUSED, match="balance"):
            await _raw_entry(db, books, [(receivable, 100, "CNY"), (usd, -100, "USD")], is_postgres)

    async def test_a_posting_in_another_currency_than_its_account(self, db, books, is_postgres):
        receivable, income = await _accounts(db, books, AccountPurpose.receivable, AccountPurpose.grant_income)
        with pytest.raises(REFUSED, match="currency"):
            await _raw_entry(db, books, [(receivable, 100, "USD"), (income, -100, "USD")], is_postgres)

    async def test_postings_without_their_header(self, db, books, is_postgres):
        receivable, income = await _accounts(db, books, AccountPurpose.receivable, AccountPurpose.grant_income)
        with pytest.raises(REFUSED):
            await _raw_entry(db, books, [(receivable, 100, "CNY"), (income, -100, "CNY")], is_postgres, header=False)
        assert await _count(db, Posting) == 0

    async def test_a_posting_added_to_a_written_entry(self, db, books, is_postgres):
        receivable, income = await _accounts(db, books, AccountPurpose.receivable, AccountPurpose.grant_income)
        entry_id = await _raw_entry(db, books, [(receivable, 100, "CNY"), (income, -100, "CNY")], is_postgres)
        with pytest.raises(REFUSED, match="already posted"):
            async with db.session_scope() as session:
                await session.execute(
                    text(
                        "INSERT INTO ledger_postings "
                        "(id, entry_id, line, account_id, centre_id, amount, currency, booked_at) "
                        "SELECT :id, entry_id, 9, account_id, centre_id, amount, currency, booked_at "
                        "FROM ledger_postings WHERE entry_id = :entry AND line = 1"
                    ),
                    {"id": _uid(uuid7(), is_postgres), "entry": _uid(entry_id, is_postgres)},
                )

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE ledger_postings SET amount = amount * 2",
            "DELETE FROM ledger_postings",
            "UPDATE ledger_entries SET description = 'edited'",
            "DELETE FROM ledger_entries",
        ],
    )
    async def test_any_change_to_a_posted_row(self, db, books, is_postgres, statement):
        receivable, income = await _accounts(db, books, AccountPurpose.receivable, AccountPurpose.grant_income)
        await _raw_entry(db, books, [(receivable, 100, "CNY"), (income, -100, "CNY")], is_postgres)
        with pytest.raises(REFUSED, match="append-only"):
            async with db.session_scope() as session:
                await session.execute(text(statement))
        assert await _count(db, Posting) == 2

    async def test_an_entry_in_a_closed_period(self, db, books, is_postgres):
        receivable, income = await _accounts(db, books, AccountPurpose.receivable, AccountPurpose.grant_income)
        period = periods.period_of(clock.now(), "Asia/Shanghai")
        async with db.session_scope() as session:
            await session.execute(
                text("INSERT INTO ledger_periods (centre_id, period, status) VALUES (:c, :p, 'closed')"),
                {"c": _uid(books.centre.id, is_postgres), "p": period},
            )
        with pytest.raises(REFUSED, match="closed"):
            await _raw_entry(db, books, [(receivable, 100, "CNY"), (income, -100, "CNY")], is_postgres)


class TestPost:
    async def test_an_entry_is_written_once_per_source(self, db, books):
        receivable, income = await _accounts(db, books, AccountPurpose.receivable, AccountPurpose.grant_income)
        for _ in range(2):
            async with db.session_scope() as session:
                entry = await entries.post(
                    session,
                    centre_id=books.centre.id,
                    source=EntrySource.manual,
                    source_ref="grant-2026-001",
                    description="课题经费",
                    lines=[entries.debit(receivable, 500), entries.credit(income, 500)],
                )
        assert await _count(db, JournalEntry) == 1
        assert [p.amount for p in entry.postings] == [500, -500]

    async def test_an_unbalanced_set_is_refused_before_the_database(self, db, books):
        receivable, income = await _accounts(db, books, AccountPurpose.receivable, AccountPurpose.grant_income)
        async with db.session_scope() as session:
            with pytest.raises(entries.UnbalancedEntry):
                await entries.post(
                    session,
                    centre_id=books.centre.id,
                    source=EntrySource.manual,
                    source_ref="x",
                    description="x",
                    lines=[entries.debit(receivable, 500), entries.credit(income, 499)],
                )

    async def test_a_failure_midway_leaves_nothing_visible(self, db, books):
        receivable, income = await _accounts(db, books, AccountPurpose.receivable, AccountPurpose.grant_income)
        with pytest.raises(RuntimeError):
            async with db.session_scope() as session:
                await entries.post(
                    session,
                    centre_id=books.centre.id,
                    source=EntrySource.manual,
                    source_ref="y",
                    description="y",
                    lines=[entries.debit(receivable, 500), entries.credit(income, 500)],
                )
                raise RuntimeError("the request failed after the entry was written")
        assert await _count(db, JournalEntry) == 0
        assert await _count(db, Posting) == 0

    async def test_a_closed_period_answers_409(self, db, books, clock):
        clock.set(clock.now - timedelta(days=40))
        receivable, income = await _accounts(db, books, AccountPurpose.receivable, AccountPurpose.grant_income)
        month = periods.period_of(clock.now, "Asia/Shanghai")
        at = clock.now
        clock.advance(days=40)
        async with db.session_scope() as session:
            await periods.close(session, books.centre.id, month, "Asia/Shanghai", None)
        async with db.session_scope() as session:
            with pytest.raises(periods.PeriodClosed):
                await entries.post(
                    session,
                    centre_id=books.centre.id,
                    source=EntrySource.manual,
                    source_ref="late",
                    description="late",
                    booked_at=at,
                    lines=[entries.debit(receivable, 5), entries.credit(income, 5)],
                )


class TestVerify:
    async def test_a_clean_ledger_has_no_findings(self, db, books):
        await owe(db, books, 12_000)
        async with db.session_scope() as session:
            assert await verify.run(session) == []

    async def test_a_tampered_settlement_is_found(self, db, books):
        settlement = await owe(db, books, 12_000)
        async with db.session_scope() as session:
            await session.execute(
                text("UPDATE settlements SET paid_amount = 5000, status = 'partially_paid' WHERE number = :n"),
                {"n": settlement.number},
            )
        async with db.session_scope() as session:
            found = await verify.run(session)
        assert {f.check for f in found} == {"settlement-paid", "receivable-equals-open-settlements"}
