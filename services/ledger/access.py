"""Who reaches a centre's ledger and settlements' finance side.

The centre's `finance` staff read and write; its `centre_manager` reads (and reopens periods);
any other role of the centre is refused (403); everyone else, evaluators included, finds nothing
(404), as for any organisation's private data.
"""

from __future__ import annotations

import uuid

from models.enums import OrganisationKind, Role
from services.actors import Actor
from services.errors import Forbidden, Invalid, NotFound

READERS = frozenset({Role.finance, Role.centre_manager})


class LedgerNotFound(NotFound):
    title = "No such ledger"
    slug = "ledger-not-found"


class FinanceOnly(Forbidden):
    title = "Only the centre's finance staff may do this"
    slug = "finance-only"


class ManagerOnly(Forbidden):
    title = "Only the centre's manager may do this"
    slug = "manager-only"


def _role(actor: Actor, centre_id: uuid.UUID) -> Role | None:
    for m in actor.memberships:
        if m.organisation_id == centre_id and m.kind is OrganisationKind.centre:
            return m.role
    return None


def finance_centres(actor: Actor) -> set[uuid.UUID]:
    """Centres whose ledger the actor writes."""
    return {
        m.organisation_id for m in actor.memberships if m.kind is OrganisationKind.centre and m.role is Role.finance
    }


def reader_centres(actor: Actor) -> set[uuid.UUID]:
    """Centres whose ledger the actor reads."""
    return {m.organisation_id for m in actor.memberships if m.kind is OrganisationKind.centre and m.role in READERS}


def require(actor: Actor, centre_id: uuid.UUID, *, write: bool = False, manager: bool = False) -> None:
    """404 for strangers (and evaluators), 403 for the centre's other roles, else allowed."""
    role = _role(actor, centre_id)
    if role is None or role is Role.evaluator:
        raise LedgerNotFound()
    if manager:
        if role is not Role.centre_manager:
            raise ManagerOnly()
        return
    if role is Role.finance or (role is Role.centre_manager and not write):
        return
    raise FinanceOnly()


def require_of_visible(actor: Actor, centre_id: uuid.UUID, *, write: bool = False) -> None:
    """`require` for a change to something the actor already reads by another right (a settlement
    it is a party to, its payments): the ledger being none of its business is 403, not 404, since
    the thing itself is visible (docs/security.md: 404 for what you cannot see, 403 for what you
    see but may not do)."""
    try:
        require(actor, centre_id, write=write)
    except LedgerNotFound:
        raise FinanceOnly() from None


def centre_for(actor: Actor, centre_id: uuid.UUID | None, *, write: bool = False, manager: bool = False) -> uuid.UUID:
    """The centre a ledger request is about: the one named (checked), else the actor's only one
    with the reach asked for (finance to write, the manager to reopen, either to read)."""
    if centre_id is not None:
        require(actor, centre_id, write=write, manager=manager)
        return centre_id
    wanted = {Role.centre_manager} if manager else {Role.finance} if write else set(READERS)
    mine = {m.organisation_id for m in actor.memberships if m.kind is OrganisationKind.centre and m.role in wanted}
    if len(mine) == 1:
        return next(iter(mine))
    if mine:
        raise Invalid("you work for several centres; say which one (centre_id)", loc=["query", "centre_id"])
    if any(m.kind is OrganisationKind.centre and m.role is not Role.evaluator for m in actor.memberships):
        raise ManagerOnly() if manager else FinanceOnly()
    raise LedgerNotFound()
