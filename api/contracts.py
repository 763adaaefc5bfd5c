"""Contracts: drafting, IP terms, signing, amendments, the canonical document, milestones, events."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from api.deps import API_PREFIX, CurrentActor, IdempotencyDep, PageDep, SessionDep
from api.errors import Responses, problem, problems_doc
from api.schemas.common import Page
from api.schemas.contracts import (
    AmendmentIn,
    ContractCreate,
    ContractEventRead,
    ContractRead,
    ContractReasonIn,
    ContractUpdate,
    ContractVersionRead,
    DeliverIn,
    IpTermsIn,
    SignIn,
)
from models.contracts import Contract, ContractVersion
from models.enums import ContractStatus, ContractType
from services import contracts
from services.errors import Invalid, RoleNotAllowed

router = APIRouter(prefix=f"{API_PREFIX}/contracts", tags=["contracts"])

NOT_FOUND: Responses = {404: problem(contracts.ContractNotFound)}
MILESTONE_NOT_FOUND: Responses = {404: problem(contracts.MilestoneNotFound)}


@router.get("", operation_id="listContracts", response_model=Page[ContractRead])
async def list_contracts(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[ContractStatus | None, Query(alias="status")] = None,
    contract_type: Annotated[ContractType | None, Query()] = None,
) -> Page[ContractRead]:
    """Contracts the caller's organisations are a party to, newest first."""
    result = await contracts.list_visible(
        session, actor, status=status_, contract_type=contract_type, limit=page.limit, cursor=page.cursor
    )
    return Page[ContractRead](
        items=[ContractRead.model_validate(c) for c in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "",
    operation_id="createContract",
    status_code=201,
    response_model=ContractRead,
    responses={403: problem(RoleNotAllowed), 422: problem(Invalid)},
)
async def create_contract(
    body: ContractCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Centre staff draft a contract directly, or (with `pilot_result_id`) a transfer or licence of their result."""
    return await idem.run(
        lambda: contracts.create(session, actor, body.to_input()),
        ContractRead,
        location=lambda c: f"/api/v1/contracts/{c.id}",
    )


@router.get("/{contract_id}", operation_id="getContract", response_model=ContractRead, responses=NOT_FOUND)
async def get_contract(contract_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> Contract:
    """One contract with its parties, IP terms and milestones; only its parties see it (404 for anyone else)."""
    return await contracts.get(session, actor, contract_id)


@router.patch(
    "/{contract_id}",
    operation_id="updateContract",
    response_model=ContractRead,
    responses={**NOT_FOUND, 403: problem(contracts.NotProviderStaff), 409: problem(contracts.ContractVersionSigned)},
)
async def update_contract(
    contract_id: uuid.UUID, body: ContractUpdate, actor: CurrentActor, session: SessionDep
) -> Contract:
    """Provider staff edit a draft (409 once anyone signed); registration fields may be set at any time."""
    return await contracts.update(session, actor, contract_id, body.to_changes())


@router.put(
    "/{contract_id}/ip-terms",
    operation_id="setContractIpTerms",
    response_model=ContractRead,
    responses={
        **NOT_FOUND,
        403: problem(contracts.NotProviderStaff),
        409: problem(contracts.ExclusiveLicenceConflict),
        422: problem(Invalid),
    },
)
async def put_ip_terms(contract_id: uuid.UUID, body: IpTermsIn, actor: CurrentActor, session: SessionDep) -> Contract:
    """Set a draft's IP terms: background IP, new-IP ownership and revenue shares (each exactly 10000 bps of
    parties), licence grants, the team reward share (default: the centre's policy, else 5000) and publication rights."""
    return await contracts.set_ip_terms(session, actor, contract_id, body.to_input())


@router.post(
    "/{contract_id}/sign",
    operation_id="signContract",
    response_model=ContractRead,
    responses={
        **NOT_FOUND,
        403: problem(contracts.NotAuthorisedSignatory),
        409: problems_doc(
            contracts.AlreadySigned,
            contracts.NothingToSign,
            contracts.DocumentChanged,
            contracts.IpTermsIncomplete,
            contracts.ExclusiveLicenceConflict,
        ),
        422: problem(Invalid),
    },
)
async def sign_contract(contract_id: uuid.UUID, body: SignIn, actor: CurrentActor, session: SessionDep) -> Contract:
    """An authorised member signs the open version for their party (records the document's SHA-256); when every
    party has signed, the version is in force and the contract active."""
    return await contracts.sign(
        session, actor, contract_id, organisation_id=body.organisation_id, document_sha256=body.document_sha256
    )


@router.post(
    "/{contract_id}/amendments",
    operation_id="amendContract",
    status_code=201,
    response_model=ContractVersionRead,
    responses={
        **NOT_FOUND,
        403: problem(contracts.NotAuthorisedSignatory),
        409: problem(contracts.AmendmentNotAllowed),
        422: problem(Invalid),
    },
)
async def amend_contract(
    contract_id: uuid.UUID, body: AmendmentIn, actor: CurrentActor, session: SessionDep
) -> ContractVersion:
    """Propose a new version of a signed contract; it is in force once every party has signed it again."""
    return await contracts.amend(session, actor, contract_id, body.to_input())


@router.get(
    "/{contract_id}/versions",
    operation_id="listContractVersions",
    response_model=Page[ContractVersionRead],
    responses=NOT_FOUND,
)
async def list_versions(
    contract_id: uuid.UUID, actor: CurrentActor, session: SessionDep, page: PageDep
) -> Page[ContractVersionRead]:
    """The contract's versions, first to last, with who signed each and the hash they signed."""
    result = await contracts.list_versions(session, actor, contract_id, limit=page.limit, cursor=page.cursor)
    return Page[ContractVersionRead](
        items=[ContractVersionRead.model_validate(v) for v in result.items], next_cursor=result.next_cursor
    )


@router.get(
    "/{contract_id}/document",
    operation_id="getContractDocument",
    response_class=HTMLResponse,
    responses={**NOT_FOUND, 200: {"content": {"text/html": {}}}},
)
async def get_document(
    contract_id: uuid.UUID,
    actor: CurrentActor,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=100_000, description="Default: the latest version")] = None,
) -> HTMLResponse:
    """The printable document of a version. Removing what lies between `<!--signature-record-->` and
    `<!--/signature-record-->` gives the canonical bytes whose SHA-256 the parties signed."""
    return HTMLResponse(await contracts.document(session, actor, contract_id, version))


@router.get(
    "/{contract_id}/events",
    operation_id="listContractEvents",
    response_model=Page[ContractEventRead],
    responses=NOT_FOUND,
)
async def list_events(
    contract_id: uuid.UUID, actor: CurrentActor, session: SessionDep, page: PageDep
) -> Page[ContractEventRead]:
    """Every change of the contract, oldest first: who, when, what."""
    result = await contracts.list_events(session, actor, contract_id, limit=page.limit, cursor=page.cursor)
    return Page[ContractEventRead](
        items=[ContractEventRead.model_validate(e) for e in result.items],
        next_cursor=result.next_cursor,
    )


@router.post(
    "/{contract_id}/milestones/{milestone_id}/deliver",
    operation_id="deliverMilestone",
    response_model=ContractRead,
    responses={
        **MILESTONE_NOT_FOUND,
        403: problem(contracts.NotProviderStaff),
        409: problem(contracts.MilestoneStateConflict),
    },
)
async def deliver_milestone(
    contract_id: uuid.UUID, milestone_id: uuid.UUID, body: DeliverIn, actor: CurrentActor, session: SessionDep
) -> Contract:
    """The provider delivers a milestone of an active contract (note, attachment ids)."""
    return await contracts.deliver(
        session, actor, contract_id, milestone_id, note=body.note, attachment_ids=body.attachment_ids
    )


@router.post(
    "/{contract_id}/milestones/{milestone_id}/accept",
    operation_id="acceptMilestone",
    response_model=ContractRead,
    responses={
        **MILESTONE_NOT_FOUND,
        403: problem(contracts.NotClientMember),
        409: problem(contracts.MilestoneStateConflict),
    },
)
async def accept_milestone(
    contract_id: uuid.UUID, milestone_id: uuid.UUID, actor: CurrentActor, session: SessionDep
) -> Contract:
    """The client accepts a delivered milestone: its amount becomes owed; all accepted completes the contract."""
    return await contracts.accept(session, actor, contract_id, milestone_id)


@router.post(
    "/{contract_id}/milestones/{milestone_id}/reject",
    operation_id="rejectMilestone",
    response_model=ContractRead,
    responses={
        **MILESTONE_NOT_FOUND,
        403: problem(contracts.NotClientMember),
        409: problem(contracts.MilestoneStateConflict),
    },
)
async def reject_milestone(
    contract_id: uuid.UUID, milestone_id: uuid.UUID, body: ContractReasonIn, actor: CurrentActor, session: SessionDep
) -> Contract:
    """The client rejects a delivery with a reason; the milestone goes back to in progress."""
    return await contracts.reject(session, actor, contract_id, milestone_id, reason=body.reason)


@router.post(
    "/{contract_id}/terminate",
    operation_id="terminateContract",
    response_model=ContractRead,
    responses={**NOT_FOUND, 403: problem(contracts.NotAuthorisedSignatory), 409: problem(contracts.ContractClosed)},
)
async def terminate_contract(
    contract_id: uuid.UUID, body: ContractReasonIn, actor: CurrentActor, session: SessionDep
) -> Contract:
    """A party ends the contract with a reason; accepted milestones stay owed, the others are cancelled."""
    return await contracts.terminate(session, actor, contract_id, reason=body.reason)
