"""Demo data: signed contracts of several types with IP terms, an accepted milestone, an open amendment; idempotent."""

from __future__ import annotations

from sqlalchemy import select

from models.contracts import CentrePolicy, Contract, ContractAmountOwed, ContractSignature, ContractVersion
from models.enums import ContractStatus, ContractType, ContractVersionStatus
from services import demo
from services.contracts import rendering as doc


async def test_seed_makes_signed_contracts_of_several_types_and_runs_twice(db, settings):
    async with db.session_scope() as session:
        await demo.seed(session, settings)
    async with db.session_scope() as session:
        again = await demo.seed(session, settings)
    assert "contracts" not in again.created
    async with db.session_scope() as session:
        rows = (await session.execute(select(Contract.contract_type, Contract.status, Contract.ip_terms))).all()
        signed = {(t, s) for t, s, _ in rows if s is not ContractStatus.draft}
        assert signed == {
            (ContractType.licence, ContractStatus.active),
            (ContractType.development, ContractStatus.active),
            (ContractType.consulting, ContractStatus.completed),
        }
        for _, status, terms in rows:
            if status is not ContractStatus.draft:
                assert sum(s["bps"] for s in terms["new_ip_ownership"]) == 10000
                assert sum(s["bps"] for s in terms["revenue_shares"]) == 10000
        assert (await session.get(CentrePolicy, (await _centre_id(session)))) is not None
        open_amendments = (
            await session.scalars(
                select(ContractVersion).where(
                    ContractVersion.status == ContractVersionStatus.open, ContractVersion.number > 1
                )
            )
        ).all()
        assert [v.number for v in open_amendments] == [2]
        assert len((await session.scalars(select(ContractAmountOwed))).all()) == 3
        for version in (await session.scalars(select(ContractVersion))).all():
            assert doc.sha256(doc.canonical(version.body)) == version.document_sha256
        hashes = (
            await session.execute(
                select(ContractSignature.document_sha256, ContractVersion.document_sha256).join(
                    ContractVersion, ContractVersion.id == ContractSignature.version_id
                )
            )
        ).all()
        assert hashes and all(a == b for a, b in hashes)


async def _centre_id(session):
    from models.organisations import Organisation

    return await session.scalar(select(Organisation.id).where(Organisation.name == "长三角国家技术创新中心"))
