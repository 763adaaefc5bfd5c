"""会员制: SME membership tiers with a centre (they discount instrument rates)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import API_PREFIX, CurrentActor, IdempotencyDep, PageDep, SessionDep
from api.errors import problem
from api.schemas.common import Day, Page
from api.schemas.sme_memberships import SmeMembershipCreate, SmeMembershipRead
from services import organisations, sme_memberships
from services.errors import Invalid, RoleNotAllowed

router = APIRouter(prefix=f"{API_PREFIX}/organisations", tags=["organisations"])


@router.get(
    "/{centre_id}/sme-memberships",
    operation_id="listSmeMemberships",
    response_model=Page[SmeMembershipRead],
    responses={404: problem(organisations.OrganisationNotFound)},
)
async def list_sme_memberships(
    centre_id: uuid.UUID,
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    sme_id: Annotated[uuid.UUID | None, Query(description="Only this SME's memberships")] = None,
    active_on: Annotated[Day | None, Query(description="Only memberships valid on this day")] = None,
) -> Page[SmeMembershipRead]:
    """A centre's SME memberships: all of them for its staff, an SME's own for its members."""
    result = await sme_memberships.list_visible(
        session, actor, centre_id, sme_id=sme_id, active_on=active_on, limit=page.limit, cursor=page.cursor
    )
    return Page[SmeMembershipRead](
        items=[SmeMembershipRead.model_validate(m) for m in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/{centre_id}/sme-memberships",
    operation_id="grantSmeMembership",
    status_code=status.HTTP_201_CREATED,
    response_model=SmeMembershipRead,
    responses={
        403: problem(RoleNotAllowed),
        404: problem(organisations.OrganisationNotFound),
        409: problem(sme_memberships.MembershipOverlap),
        422: problem(Invalid),
    },
)
async def grant_sme_membership(
    centre_id: uuid.UUID, body: SmeMembershipCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Grant an SME a membership tier with the centre for a period (centre staff); periods never overlap."""
    return await idem.run(
        lambda: sme_memberships.grant(
            session,
            actor,
            centre_id,
            sme_id=body.sme_id,
            tier=body.tier,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
        ),
        SmeMembershipRead,
        location=lambda m: f"/api/v1/organisations/{centre_id}/sme-memberships/{m.id}",
    )
