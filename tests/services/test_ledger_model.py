"""A model-based run over the ledger (Hypothesis stateful): money owed (now, or billed in advance and
earned later), payments in any amount, overpayments, write-offs, reversals of payments and of manual
entries, grants, the clock moving on, periods closed and reopened. After every step each entry
balances, every ledger sums to zero per currency, receivables equal open settlements, and each
settlement's paid amount and state equal an in-memory model's. A failure prints the steps to replay.

The machine runs in a thread with its own event loop and engine (Hypothesis drives it step by step,
synchronously); every example builds a fresh centre, so examples never see each other's books.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from models.base import uuid7
from models.enums import (
    AccountPurpose,
    EntrySource,
    IncomeKind,
    OrganisationKind,
    PeriodStatus,
    Role,
    SettlementSource,
    SettlementStatus,
)
from models.ledger import LedgerPeriod
from models.organisations import Membership, Organisation, User
from services import clock, settlements
from services.actors import load_actor
from services.db import Database
from services.errors import DomainError
from services.ledger import bank_accounts, books, chart, entries, periods, verify
from services.ledger.chart import AccountSpec
from tests.factories.organisations import make_uscc


class LedgerMachine(RuleBasedStateMachine):
    app_settings = None  # set by the test

    owed = Bundle("owed")
    manual = Bundle("manual")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.db = Database(self.app_settings)
        self.model: dict[uuid.UUID, dict] = {}
        self.payments: dict[uuid.UUID, tuple[uuid.UUID, int]] = {}  # payment entry -> (settlement, amount)
        self.closed: set[str] = set()
        clock.set(clock.wall().replace(microsecond=0) - timedelta(days=400))

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.db.dispose())
        self.loop.close()
        clock.reset()

    @initialize()
    def open_books(self) -> None:
        async def setup():
            async with self.db.session_scope() as s:
                centre = Organisation(
                    id=uuid7(),
                    kind=OrganisationKind.centre,
                    name=f"中心{uuid.uuid4().hex[:6]}",
                    uscc=make_uscc(),
                    region="320500",
                )
                sme = Organisation(
                    id=uuid7(), kind=OrganisationKind.sme, name="企业", uscc=make_uscc(), region="320500"
                )
                s.add_all([centre, sme])
                await s.flush()
                user = User(
                    id=uuid7(), email=f"f{uuid.uuid4().hex[:8]}@example.com", full_name="财务", password_hash="x"
                )
                manager = User(
                    id=uuid7(), email=f"m{uuid.uuid4().hex[:8]}@example.com", full_name="主任", password_hash="x"
                )
                s.add_all([user, manager])
                await s.flush()
                s.add_all(
                    [
                        Membership(user_id=user.id, organisation_id=centre.id, role=Role.finance),
                        Membership(user_id=manager.id, organisation_id=centre.id, role=Role.centre_manager),
                    ]
                )
                await s.flush()
                await chart.open_chart(s, centre.id)
                finance, boss = await load_actor(s, user), await load_actor(s, manager)
                bank = await bank_accounts.create(
                    s, finance, bank_accounts.BankAccountInput("基本户", "工行", "622200001", "CNY", centre.id)
                )
            return centre, sme, finance, boss, bank

        self.centre, self.sme, self.finance, self.manager, self.bank = self.run(setup())

    # Steps

    @rule(target=owed, amount=st.integers(1, 5_000_000), advance=st.booleans())
    def owe(self, amount: int, advance: bool):
        async def step():
            async with self.db.session_scope() as s:
                return await settlements.owe(
                    s,
                    settlements.Owed(
                        source=SettlementSource.milestone if advance else SettlementSource.booking,
                        source_id=uuid.uuid4(),
                        provider_org_id=self.centre.id,
                        debtor_org_id=self.sme.id,
                        income_kind=IncomeKind.contract_rd if advance else IncomeKind.instrument_sharing,
                        amount=amount,
                        currency="CNY",
                        description="model",
                        deferred=advance,
                    ),
                )

        settlement = self.run(step())
        self.model[settlement.id] = {"amount": amount, "paid": 0, "off": 0, "source": settlement.source_id}
        return settlement.id

    @rule(settlement_id=owed)
    def earn_advance(self, settlement_id):
        async def step():
            async with self.db.session_scope() as s:
                await settlements.recognise(s, SettlementSource.milestone, self.model[settlement_id]["source"])

        self.run(step())

    @rule(settlement_id=owed, amount=st.integers(1, 6_000_000))
    def pay(self, settlement_id, amount):
        m = self.model[settlement_id]
        left = m["amount"] - m["paid"] - m["off"]
        reference = uuid.uuid4().hex[:16]

        async def step():
            async with self.db.session_scope() as s:
                return await settlements.record_offline(
                    s,
                    self.finance,
                    settlement_id,
                    settlements.OfflinePaymentInput(
                        self.bank.id, amount, "CNY", reference, clock.now().astimezone().date()
                    ),
                )

        try:
            payment = self.run(step())
        except DomainError as exc:
            assert m["off"] or amount > left or isinstance(exc, periods.PeriodClosed), exc
            return
        assert not m["off"] and amount <= left
        m["paid"] += amount
        self.payments[payment.entry_id] = (settlement_id, amount)

    @rule(settlement_id=owed)
    def write_off(self, settlement_id):
        m = self.model[settlement_id]

        async def step():
            async with self.db.session_scope() as s:
                await settlements.write_off(s, self.finance, settlement_id, reason="model")

        try:
            self.run(step())
        except DomainError:
            assert m["off"] or m["paid"] == m["amount"] or self._current_closed()
            return
        m["off"] = m["amount"] - m["paid"]

    @rule(data=st.data())
    def reverse_a_payment(self, data):
        if not self.payments:
            return
        entry_id = data.draw(st.sampled_from(sorted(self.payments)))
        settlement_id, amount = self.payments.pop(entry_id)

        async def step():
            async with self.db.session_scope() as s:
                await settlements.reverse_entry(s, self.finance, entry_id, reason="model")

        try:
            self.run(step())
        except DomainError:
            assert self.model[settlement_id]["off"] or self._current_closed()
            return
        self.model[settlement_id]["paid"] -= amount

    @rule(target=manual, amount=st.integers(1, 10_000_000))
    def receive_a_grant(self, amount):
        async def step():
            async with self.db.session_scope() as s:
                bank = await bank_accounts.ledger_account(s, self.bank)
                grants = await chart.account(s, self.centre.id, "CNY", AccountSpec(AccountPurpose.grant_income))
                return await entries.post(
                    s,
                    centre_id=self.centre.id,
                    source=EntrySource.manual,
                    source_ref=uuid.uuid4().hex,
                    description="grant",
                    lines=[entries.debit(bank, amount), entries.credit(grants, amount)],
                )

        try:
            return self.run(step()).id
        except periods.PeriodClosed:
            assert self._current_closed()
            return None

    @rule(entry_id=consumes(manual))
    def reverse_a_grant(self, entry_id):
        if entry_id is None:
            return

        async def step():
            async with self.db.session_scope() as s:
                await settlements.reverse_entry(s, self.finance, entry_id, reason="model")

        try:
            self.run(step())
        except DomainError:
            assert self._current_closed()

    @rule(days=st.integers(1, 40))
    def time_passes(self, days):
        clock.advance(timedelta(days=days))

    @rule()
    def close_last_month(self):
        month = periods.period_of(clock.now() - timedelta(days=31), self.centre.timezone)

        async def step():
            async with self.db.session_scope() as s:
                await books.close_period(s, self.finance, month, self.centre.id)

        try:
            self.run(step())
            self.closed.add(month)
        except periods.PeriodAlreadyInState:
            assert month in self.closed

    @rule()
    def reopen_a_month(self):
        if not self.closed:
            return
        month = sorted(self.closed)[0]

        async def step():
            async with self.db.session_scope() as s:
                await books.reopen_period(s, self.manager, month, self.centre.id, reason="model")

        self.run(step())
        self.closed.discard(month)

    def _current_closed(self) -> bool:
        return periods.period_of(clock.now(), self.centre.timezone) in self.closed

    # What must hold after every step

    @invariant()
    def the_ledger_keeps_its_promises(self):
        async def check():
            async with self.db.session_scope() as s:
                return await verify.run(s)

        assert self.run(check()) == []

    @invariant()
    def settlements_match_the_model(self):
        async def check():
            async with self.db.session_scope() as s:
                return {sid: await settlements.get(s, self.finance, sid) for sid in self.model}

        for sid, s in self.run(check()).items():
            m = self.model[sid]
            assert (s.paid_amount, s.written_off_amount) == (m["paid"], m["off"])
            expected = (
                SettlementStatus.written_off
                if m["off"]
                else SettlementStatus.paid
                if m["paid"] == m["amount"]
                else SettlementStatus.partially_paid
                if m["paid"]
                else SettlementStatus.open
            )
            assert s.status is expected

    @invariant()
    def closed_months_are_closed(self):
        async def check():
            async with self.db.session_scope() as s:
                return {
                    p.period
                    for p in (
                        await s.scalars(
                            select(LedgerPeriod).where(
                                LedgerPeriod.centre_id == self.centre.id,
                                LedgerPeriod.status == PeriodStatus.closed,
                            )
                        )
                    ).all()
                }

        assert self.run(check()) == self.closed


settings_for_run = hypothesis_settings(
    max_examples=12,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


async def test_the_ledger_keeps_its_promises_in_any_order(settings, db):
    """Hypothesis explores sequences of operations; `db` cleans PostgreSQL up afterwards."""
    LedgerMachine.app_settings = settings
    await asyncio.to_thread(
        run_state_machine_as_test,
        LedgerMachine,
        settings=settings_for_run,
    )
