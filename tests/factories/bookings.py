"""Shared set-up for booking tests: a published instrument, its staff, SMEs, and a movable clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from models.enums import OrganisationKind, Role
from models.organisations import Organisation, User
from tests.factories.catalogue import World, create_published, instrument_body, make_world
from tests.factories.organisations import build

BASE = "/api/v1/bookings"
# A Tuesday; the instrument is open on weekdays 09:00-17:00 Asia/Shanghai (01:00-09:00 UTC).
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
MONDAY = "2026-12-07"


def slot(day: str = MONDAY, start: str = "09:00", end: str = "11:00") -> dict[str, str]:
    return {"start_at": f"{day}T{start}:00+08:00", "end_at": f"{day}T{end}:00+08:00"}


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+08:00").astimezone(UTC)


@dataclass
class Setup:
    w: World
    instrument: dict
    sme_user: User
    sme_member: dict[str, str]
    other_sme: Organisation
    other_sme_member: dict[str, str]

    @property
    def id(self) -> str:
        return self.instrument["id"]

    @property
    def staff(self) -> dict[str, str]:
        return self.w.institute_staff

    def body(self, **overrides) -> dict:
        return {"instrument_id": self.id, **slot(), **overrides}


async def setup(client, db, app, **instrument_overrides) -> Setup:
    """A published SEM of the institute (no confirmation needed unless overridden), and two SMEs."""
    w = await make_world(db, app)
    rules = {"requires_confirmation": False, "lead_time_hours": 24, "max_advance_days": 60}
    body = instrument_body(**{**rules, **instrument_overrides})
    instrument = await create_published(client, w.institute_staff, "instruments", body)
    async with build(db, app) as b:
        sme_user, sme_member = b.member(w.sme, Role.sme_member)
        other_sme = b.org(OrganisationKind.sme)
        _, other_member = b.member(other_sme, Role.sme_member)
    return Setup(w, instrument, sme_user, sme_member, other_sme, other_member)


async def book(client, s: Setup, headers: dict[str, str] | None = None, **overrides):
    return await client.post(BASE, json=s.body(**overrides), headers=headers or s.sme_member)


async def booked(client, s: Setup, headers: dict[str, str] | None = None, **overrides) -> dict:
    response = await book(client, s, headers, **overrides)
    assert response.status_code == 201, response.text
    return response.json()
