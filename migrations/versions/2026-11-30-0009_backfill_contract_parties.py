"""backfill: contracts without party rows get their provider and client as parties

The services read a contract's parties from `contract_parties`; a contract written with only its
`provider_org_id` and `client_org_id` (as draft contracts were before contracts had parties) gets
them here as `provider` and `client` rows. Its version 1 is written the first time it is needed
(services). No application code is imported. On a fresh database there are no contracts and it
does nothing.

Revision ID: 1d936aadf05c
Revises: c8b6e29ef310
Create Date: 2026-11-30 00:09:00+00:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1d936aadf05c"
down_revision: str | Sequence[str] | None = "c8b6e29ef310"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

contracts = sa.table(
    "contracts",
    sa.column("id", sa.Uuid()),
    sa.column("provider_org_id", sa.Uuid()),
    sa.column("client_org_id", sa.Uuid()),
)
parties = sa.table(
    "contract_parties",
    sa.column("id", sa.Uuid()),
    sa.column("contract_id", sa.Uuid()),
    sa.column("organisation_id", sa.Uuid()),
    sa.column("role", sa.String()),
)


def upgrade() -> None:
    without_parties = sa.select(contracts.c.id, contracts.c.provider_org_id, contracts.c.client_org_id).where(
        ~sa.exists().where(parties.c.contract_id == contracts.c.id)
    )
    rows = op.get_bind().execute(without_parties).all()
    if rows:
        op.bulk_insert(
            parties,
            [
                {"id": uuid.uuid4(), "contract_id": r.id, "organisation_id": org_id, "role": role}
                for r in rows
                for org_id, role in ((r.provider_org_id, "provider"), (r.client_org_id, "client"))
            ],
        )


def downgrade() -> None:
    """Nothing to undo: the rows are the parties the services would have written."""
