"""A centre's books for ledger and settlement tests: the centre with an institute, its finance
staff, manager, staff and evaluator, two SMEs, another centre's finance, and helpers to make money
owed, open a bank account and record payments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from models.enums import IncomeKind, OrganisationKind, Role, SettlementSource
from models.organisations import Organisation
from models.settlements import Settlement
from services import clock, settlements
from services.db import Database
from services.ledger import chart
from tests.factories.organisations import build


@dataclass
class Books:
    centre: Organisation
    institute: Organisation
    other_centre: Organisation
    sme: Organisation
    other_sme: Organisation
    finance: dict[str, str]
    manager: dict[str, str]
    staff: dict[str, str]
    evaluator: dict[str, str]
    institute_staff: dict[str, str]
    sme_member: dict[str, str]
    other_sme_member: dict[str, str]
    other_finance: dict[str, str]


async def make_books(db: Database, app) -> Books:
    """The cast, and the centre's CNY chart opened as it is when a centre is created."""
    async with build(db, app) as b:
        centre = b.org(OrganisationKind.centre, name="长三角国家技术创新中心")
        institute = b.org(OrganisationKind.institute, parent=centre, name="先进材料研究院")
        other_centre = b.org(OrganisationKind.centre, name="京津冀国家技术创新中心")
        sme, other_sme = b.org(OrganisationKind.sme, name="苏州测试新材料有限公司"), b.org(OrganisationKind.sme)
        books = Books(
            centre,
            institute,
            other_centre,
            sme,
            other_sme,
            finance=b.member(centre, Role.finance)[1],
            manager=b.member(centre, Role.centre_manager)[1],
            staff=b.member(centre, Role.centre_staff)[1],
            evaluator=b.member(centre, Role.evaluator)[1],
            institute_staff=b.member(institute, Role.centre_staff)[1],
            sme_member=b.member(sme, Role.sme_member)[1],
            other_sme_member=b.member(other_sme, Role.sme_member)[1],
            other_finance=b.member(other_centre, Role.finance)[1],
        )
    async with db.session_scope() as session:
        for c in (centre, other_centre):
            await chart.open_chart(session, c.id)
    return books


async def owe(
    db: Database,
    books: Books,
    amount: int,
    *,
    provider: Organisation | None = None,
    debtor: Organisation | None = None,
    income_kind: IncomeKind = IncomeKind.testing,
    contract_id: uuid.UUID | None = None,
    source: SettlementSource = SettlementSource.booking,
    source_id: uuid.UUID | None = None,
    currency: str = "CNY",
    deferred: bool = False,
) -> Settlement:
    """Money owed to the centre (as a booking's charge or a milestone would make it)."""
    async with db.session_scope() as session:
        settlement = await settlements.owe(
            session,
            settlements.Owed(
                source=source,
                source_id=source_id or uuid.uuid4(),
                provider_org_id=(provider or books.institute).id,
                debtor_org_id=(debtor or books.sme).id,
                income_kind=income_kind,
                amount=amount,
                currency=currency,
                description="扫描电镜测试服务",
                contract_id=contract_id,
                deferred=deferred,
            ),
        )
    assert settlement is not None
    return settlement


async def open_bank_account(client: httpx.AsyncClient, books: Books, number: str = "1102020109000012345") -> dict:
    response = await client.post(
        "/api/v1/ledger/bank-accounts",
        json={"name": "基本存款账户", "bank_name": "中国工商银行苏州工业园区支行", "account_number": number},
        headers=books.finance,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def pay(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    settlement_id: uuid.UUID | str,
    bank: dict,
    amount: int,
    *,
    reference: str | None = None,
    key: str | None = None,
    value_date: date | None = None,
    currency: str = "CNY",
) -> httpx.Response:
    body: dict[str, Any] = {
        "bank_account_id": bank["id"],
        "amount": {"amount": amount, "currency": currency},
        "reference": reference or f"HX{uuid.uuid4().hex[:12]}",
        "value_date": (value_date or clock.now().date()).isoformat(),
    }
    return await client.post(
        f"/api/v1/settlements/{settlement_id}/offline-payments",
        json=body,
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


async def balance(client: httpx.AsyncClient, books: Books, purpose: str, **params: Any) -> int:
    """The balance of the centre's CNY account of a purpose (the first, by code)."""
    accounts = await client.get(
        "/api/v1/ledger/accounts", params={"purpose": purpose, "limit": 100}, headers=books.finance
    )
    assert accounts.status_code == 200, accounts.text
    total = 0
    for a in accounts.json()["items"]:
        r = await client.get(f"/api/v1/ledger/accounts/{a['id']}", params=params, headers=books.finance)
        total += r.json()["balance"]["amount"]
    return total
