"""Reports on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from api.schemas.common import Money, OutputModel
from services.reports import co_builders


class StatementLine(OutputModel):
    booked_at: datetime
    entry_id: uuid.UUID
    description: str
    source: str = Field(description="revenue_allocation (a share of a receipt), manual (a payout), reversal, ...")
    allocated: Money = Field(description="Added to what is owed to the co-builder")
    paid_out: Money = Field(description="Paid to the co-builder (or reversed)")


class CoBuilderStatement(OutputModel):
    """One co-builder's payable in one centre's ledger, over one month."""

    centre_id: uuid.UUID
    centre_name: str
    co_builder_id: uuid.UUID
    co_builder_name: str
    account_id: uuid.UUID
    period: str
    opening: Money = Field(description="Owed to the co-builder at the start of the month")
    allocated: Money
    paid_out: Money
    closing: Money = Field(description="opening + allocated - paid out")
    lines: list[StatementLine]

    @classmethod
    def of(cls, s: co_builders.Statement) -> CoBuilderStatement:
        c = s.account.currency

        def money(amount: int) -> Money:
            return Money(amount=amount, currency=c)

        return cls(
            centre_id=s.centre.id,
            centre_name=s.centre.name,
            co_builder_id=s.co_builder.id,
            co_builder_name=s.co_builder.name,
            account_id=s.account.id,
            period=s.period,
            opening=money(s.opening),
            allocated=money(s.allocated),
            paid_out=money(s.paid_out),
            closing=money(s.closing),
            lines=[
                StatementLine(
                    booked_at=m.booked_at,
                    entry_id=m.entry_id,
                    description=m.description,
                    source=m.source,
                    allocated=money(m.allocated),
                    paid_out=money(m.paid_out),
                )
                for m in s.movements
            ],
        )
