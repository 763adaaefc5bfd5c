"""Training records: centre staff record that a user may operate an instrument, until an expiry.

An instrument with `training_required` refuses a booking whose user has no training record
valid at the start of the slot (422 `training-required` or `training-expired`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.bookings import InstrumentTraining
from models.instruments import Instrument
from models.organisations import User
from services import clock, instruments
from services.actors import Actor
from services.bookings.rules import utc
from services.errors import Invalid
from services.pagination import Page, SortKey, paginate


class TrainingRequired(Invalid):
    title = "The instrument requires training the user does not have"
    slug = "training-required"


class TrainingExpired(Invalid):
    title = "The user's training on the instrument has expired"
    slug = "training-expired"


async def _owned(session: AsyncSession, actor: Actor, instrument_id: uuid.UUID) -> Instrument:
    return await instruments.owned(session, actor, instrument_id, for_update=False)


async def record(
    session: AsyncSession,
    actor: Actor,
    instrument_id: uuid.UUID,
    *,
    user_id: uuid.UUID,
    trained_at: datetime | None,
    expires_at: datetime | None,
    note: str | None,
) -> InstrumentTraining:
    """Record that a user is trained on the instrument (staff of its centre or institute); times are aware."""
    instrument = await _owned(session, actor, instrument_id)
    trained_at = utc(trained_at) if trained_at else clock.now()
    if expires_at is not None:
        expires_at = utc(expires_at)
        if expires_at <= trained_at:
            raise Invalid("the training must expire after it was given", loc=["body", "expires_at"])
    if await session.get(User, user_id) is None:
        raise Invalid("no such user", loc=["body", "user_id"])
    training = InstrumentTraining(
        instrument_id=instrument.id,
        user_id=user_id,
        trained_at=trained_at,
        expires_at=expires_at,
        note=note,
        recorded_by=actor.user_id,
    )
    session.add(training)
    await session.flush()
    return training


async def list_visible(
    session: AsyncSession, actor: Actor, instrument_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[InstrumentTraining]:
    """Training records of an instrument: all of them for its staff, one's own for anyone else."""
    instrument = await instruments.get(session, actor, instrument_id)
    stmt = select(InstrumentTraining).where(InstrumentTraining.instrument_id == instrument.id)
    if instrument.owner_org_id not in actor.provider_org_ids():
        stmt = stmt.where(InstrumentTraining.user_id == actor.user_id)
    keys = [SortKey(InstrumentTraining.id, descending=True)]
    return await paginate(session, stmt, keys, limit=limit, cursor=cursor)


async def require_trained(
    session: AsyncSession, instrument: Instrument, user_id: uuid.UUID | None, at: datetime
) -> None:
    """422 unless `user_id` holds a training on the instrument valid at `at`, naming the reason."""
    if user_id is None:
        raise TrainingRequired(
            "the instrument requires training: name the trained user who will operate it", loc=["body", "user_id"]
        )
    records = (
        await session.scalars(
            select(InstrumentTraining).where(
                InstrumentTraining.instrument_id == instrument.id,
                InstrumentTraining.user_id == user_id,
                InstrumentTraining.trained_at <= at,
            )
        )
    ).all()
    if any(r.expires_at is None or r.expires_at > at for r in records):
        return
    if records:
        last = max(r.expires_at for r in records if r.expires_at is not None)
        raise TrainingExpired(
            f"the user's training on this instrument expired on {last.isoformat()}; ask the centre to renew it",
            reason="training_expired",
            loc=["body", "start_at"],
        )
    raise TrainingRequired(
        "the instrument requires training and the user has none recorded; ask the centre for training",
        reason="training_required",
        loc=["body", "user_id"],
    )
