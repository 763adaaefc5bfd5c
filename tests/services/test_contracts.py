"""Contract rules below the API: the canonical document, licence overlap, money formatting, and the
backfill revision that gives contracts without party rows their parties."""

from __future__ import annotations

import asyncio
import copy
import uuid
from datetime import date

import sqlalchemy as sa
from alembic import command

from models.contracts import ContractLicence
from models.enums import ContractType, LicenceKind
from services import migrations
from services.contracts import rendering as doc
from services.contracts import terms
from services.db import create_engine

BEFORE_PARTIES_BACKFILL = "c8b6e29ef310"  # the revision before 2026-11-30-0009_backfill_contract_parties


def body() -> dict:
    org = "0192f000-0000-7000-8000-000000000001"
    return {
        "contract_id": "0192f000-0000-7000-8000-0000000000aa",
        "version": 1,
        "reason": None,
        "contract_type": "licence",
        "title": "专利许可 & <b>合同</b>",
        "scope": None,
        "parties": [{"organisation_id": org, "name": "甲中心", "uscc": "12310000MB2F01234", "role": "provider"}],
        "value": {"amount": 123_456_789, "currency": "CNY"},
        "technology_amount": None,
        "start_date": None,
        "end_date": None,
        "confidentiality_months": None,
        "pilot_result_id": None,
        "ip_terms": terms.default_terms(
            (5000, terms.TeamRewardSource.statutory_default), ContractType.licence, uuid.UUID(org), uuid.UUID(org)
        ),
        "milestones": [{"seq": 1, "title": "入门费", "amount": 100, "currency": "CNY", "due_offset_days": None}],
    }


class TestCanonicalDocument:
    def test_the_same_body_renders_the_same_bytes(self):
        assert doc.canonical(body()) == doc.canonical(copy.deepcopy(body()))

    def test_any_change_changes_the_hash(self):
        changed = body()
        changed["milestones"][0]["amount"] = 101
        assert doc.sha256(doc.canonical(changed)) != doc.sha256(doc.canonical(body()))

    def test_user_text_is_escaped(self):
        html = doc.canonical(body())
        assert "<b>合同</b>" not in html
        assert "专利许可 &amp; &lt;b&gt;合同&lt;/b&gt;" in html

    def test_the_signature_record_strips_back_to_the_canonical_form(self):
        record = [
            {
                "party": "甲中心",
                "signer": "张伟",
                "signed_at": "2026-11-28T04:00:00+00:00",
                "document_sha256": "ab" * 32,
            }
        ]
        printable = doc.printable(body(), record)
        assert "ab" * 32 in printable
        assert doc.strip_record(printable) == doc.canonical(body())


def existing(
    field: str = "动力电池", territory: str = "中国大陆", starts: str = "2027-01-01", ends: str | None = "2030-01-01"
):
    return ContractLicence(
        contract_id=uuid.uuid4(),
        licensee_org_id=uuid.uuid4(),
        kind=LicenceKind.exclusive,
        field_of_use=field,
        territory=territory,
        starts_on=date.fromisoformat(starts),
        ends_on=date.fromisoformat(ends) if ends else None,
    )


def grant(
    field: str = "动力电池", territory: str = "中国大陆", starts: str = "2028-01-01", ends: str | None = None
) -> dict:
    return {"field_of_use": field, "territory": territory, "starts_on": starts, "ends_on": ends}


class TestLicenceOverlap:
    def test_same_field_territory_and_overlapping_time(self):
        assert terms.overlaps(grant(), existing())

    def test_all_fields_overlaps_any_field(self):
        assert terms.overlaps(grant(field="全部领域"), existing(field="储能"))
        assert terms.overlaps(grant(field="储能"), existing(field="All Fields"))

    def test_worldwide_or_national_overlaps_any_territory(self):
        assert terms.overlaps(grant(territory="worldwide"), existing(territory="江苏省"))
        assert terms.overlaps(grant(territory="江苏省"), existing(territory="全国"))

    def test_different_field_or_territory_does_not_overlap(self):
        assert not terms.overlaps(grant(field="储能"), existing())
        assert not terms.overlaps(grant(territory="欧盟"), existing())

    def test_half_open_terms_that_touch_do_not_overlap(self):
        assert not terms.overlaps(grant(starts="2030-01-01"), existing())
        assert not terms.overlaps(grant(starts="2025-01-01", ends="2027-01-01"), existing())

    def test_an_open_ended_licence_overlaps_everything_later(self):
        assert terms.overlaps(grant(starts="2040-01-01"), existing(ends=None))

    def test_field_names_compare_case_and_space_insensitively(self):
        assert terms.overlaps(grant(field="Traction  Batteries"), existing(field="traction batteries"))


def _table(name: str, *columns: str, uuids: tuple[str, ...] = ()) -> sa.TableClause:
    def kind(c: str) -> sa.types.TypeEngine:
        if c in uuids:
            return sa.Uuid()
        return sa.BigInteger() if c.endswith("_amount") else sa.JSON() if c == "ip_terms" else sa.String()

    return sa.table(name, *(sa.column(c, kind(c)) for c in columns))


ORGS = _table("organisations", "id", "kind", "name", "uscc", "region", uuids=("id",))
USERS = _table("users", "id", "email", "full_name", "password_hash", uuids=("id",))
CONTRACTS = _table(
    "contracts",
    "id",
    "contract_type",
    "status",
    "title",
    "provider_org_id",
    "client_org_id",
    "currency",
    "source",
    "created_by",
    "value_amount",
    "ip_terms",
    uuids=("id", "provider_org_id", "client_org_id", "created_by"),
)
PARTIES = _table("contract_parties", "contract_id", "organisation_id", "role", uuids=("contract_id", "organisation_id"))


async def _run(settings, work):
    engine = create_engine(settings, null_pool=True)
    try:
        async with engine.begin() as conn:
            return await work(conn)
    finally:
        await engine.dispose()


def test_the_migration_gives_existing_drafts_their_parties(settings, db):
    """A draft written with no party rows gets provider and client party rows from the backfill revision
    (`db`: its teardown empties the shared PostgreSQL database again)."""
    migrations.downgrade(settings, BEFORE_PARTIES_BACKFILL)
    ids = {k: uuid.uuid4() for k in ("provider", "client", "user", "contract")}

    async def legacy(conn):
        await conn.execute(
            sa.insert(ORGS),
            [
                {
                    "id": ids["provider"],
                    "kind": "centre",
                    "name": "甲",
                    "uscc": "12310000MB2F0123X",
                    "region": "320500",
                },
                {"id": ids["client"], "kind": "sme", "name": "乙", "uscc": "91320594MA1MBLXK3", "region": "320500"},
            ],
        )
        await conn.execute(
            sa.insert(USERS).values(id=ids["user"], email="legacy@example.com", full_name="旧用户", password_hash="x")
        )
        await conn.execute(
            sa.insert(CONTRACTS).values(
                id=ids["contract"],
                contract_type="consulting",
                status="draft",
                title="旧草稿",
                provider_org_id=ids["provider"],
                client_org_id=ids["client"],
                currency="CNY",
                source="direct",
                created_by=ids["user"],
                value_amount=100,
                ip_terms={},
            )
        )

    asyncio.run(_run(settings, legacy))
    migrations.upgrade(settings)

    async def parties(conn):
        rows = await conn.execute(
            sa.select(PARTIES.c.organisation_id, PARTIES.c.role)
            .where(PARTIES.c.contract_id == ids["contract"])
            .order_by(PARTIES.c.role)
        )
        return rows.all()

    assert [tuple(r) for r in asyncio.run(_run(settings, parties))] == [
        (ids["client"], "client"),
        (ids["provider"], "provider"),
    ]
    command.check(migrations.alembic_config(settings))
