"""Instrument bookings: book (or quote), confirm, reject, cancel, complete; trainings, waitlist, calendar feed."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import API_PREFIX, CurrentActor, IdempotencyDep, PageDep, SessionDep
from api.errors import Responses, problem, problems_doc
from api.schemas.bookings import (
    BookingCreate,
    BookingFeedLink,
    BookingRead,
    CalendarLink,
    CancelBody,
    CompleteBody,
    Quote,
    RejectBody,
    TrainingCreate,
    TrainingRead,
    WaitlistCreate,
    WaitlistRead,
)
from api.schemas.common import Page
from models.bookings import Booking
from models.enums import BookingState, WaitlistState
from services import bookings, instruments, organisations
from services.bookings import calendar, trainings, waitlist
from services.errors import Invalid, RoleNotAllowed

router = APIRouter(prefix=f"{API_PREFIX}/bookings", tags=["bookings"])


async def _read(session: AsyncSession, booking: Booking) -> BookingRead:
    """The booking as read, with its instrument's title and centre."""
    return BookingRead.model_validate(await bookings.view(session, booking))


instrument_router = APIRouter(prefix=f"{API_PREFIX}/instruments/{{instrument_id}}", tags=["bookings"])
organisation_router = APIRouter(prefix=f"{API_PREFIX}/organisations/{{organisation_id}}", tags=["bookings"])

NOT_FOUND: Responses = {404: problem(bookings.BookingNotFound)}
STAFF_CHANGE: Responses = {
    **NOT_FOUND,
    403: problem(bookings.NotStaffOfInstrument),
    409: problem(bookings.InvalidBookingTransition),
}
CREATE_ERRORS: Responses = {
    404: problem(instruments.InstrumentNotFound),
    409: problem(bookings.BookingOverlap),
    422: problem(bookings.BookingRuleViolated),
}
INSTRUMENT_NOT_FOUND: Responses = {404: problem(instruments.InstrumentNotFound)}


@router.post(
    "",
    operation_id="createBooking",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingRead,
    responses={**CREATE_ERRORS, 200: {"model": Quote, "description": "With `dry_run=true`: the price, nothing booked"}},
)
async def create_booking(
    body: BookingCreate,
    actor: CurrentActor,
    session: SessionDep,
    idem: IdempotencyDep,
    dry_run: Annotated[bool, Query(description="Check the rules and return the price (200) without booking")] = False,
) -> Response:
    """Book an instrument slot, a weekly series (all or nothing; the first booking is returned) or samples;
    the price is frozen now. 409 names a taken slot (and every conflicting date of a series)."""
    if dry_run:
        plan = await bookings.plan(session, actor, body.to_input())
        return Response(Quote.model_validate(plan).model_dump_json(), media_type="application/json")

    async def book() -> bookings.BookingView:
        return await bookings.view(session, await bookings.create(session, actor, body.to_input()))

    return await idem.run(book, BookingRead, location=lambda v: f"/api/v1/bookings/{v.booking.id}")


@router.get("", operation_id="listBookings", response_model=Page[BookingRead])
async def list_bookings(
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    instrument_id: Annotated[uuid.UUID | None, Query(description="Only this instrument's")] = None,
    state: Annotated[BookingState | None, Query(description="Only this state")] = None,
    series_id: Annotated[uuid.UUID | None, Query(description="Only this weekly series")] = None,
    customer_org_id: Annotated[uuid.UUID | None, Query(description="Only this customer's")] = None,
) -> Page[BookingRead]:
    """Bookings of the caller's organisations and of instruments their centre or institute owns; newest first."""
    result = await bookings.list_visible(
        session,
        actor,
        instrument_id=instrument_id,
        state=state,
        series_id=series_id,
        customer_org_id=customer_org_id,
        limit=page.limit,
        cursor=page.cursor,
    )
    return Page[BookingRead](
        items=[BookingRead.model_validate(v) for v in await bookings.views(session, result.items)],
        next_cursor=result.next_cursor,
    )


@router.get("/{booking_id}", operation_id="getBooking", response_model=BookingRead, responses=NOT_FOUND)
async def get_booking(booking_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> BookingRead:
    """One booking: to its customer's members and the instrument's staff; 404 for anyone else."""
    return await _read(session, await bookings.get(session, actor, booking_id))


@router.post("/{booking_id}/confirm", operation_id="confirmBooking", response_model=BookingRead, responses=STAFF_CHANGE)
async def confirm_booking(booking_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> BookingRead:
    """Confirm a requested booking (the instrument's staff); the customer is notified."""
    return await _read(session, await bookings.confirm(session, actor, booking_id))


@router.post("/{booking_id}/reject", operation_id="rejectBooking", response_model=BookingRead, responses=STAFF_CHANGE)
async def reject_booking(
    booking_id: uuid.UUID, body: RejectBody, actor: CurrentActor, session: SessionDep
) -> BookingRead:
    """Reject a requested booking with a reason (the instrument's staff); the slot frees for the waitlist."""
    return await _read(session, await bookings.reject(session, actor, booking_id, reason=body.reason))


@router.post(
    "/{booking_id}/cancel",
    operation_id="cancelBooking",
    response_model=BookingRead,
    responses={**NOT_FOUND, 409: problem(bookings.InvalidBookingTransition)},
)
async def cancel_booking(
    booking_id: uuid.UUID, actor: CurrentActor, session: SessionDep, body: CancelBody | None = None
) -> BookingRead:
    """Cancel before the slot starts (customer or staff). A confirmed booking cancelled by the customer less
    than the free-cancellation hours before its start owes the cancellation fee."""
    return await _read(session, await bookings.cancel(session, actor, booking_id, reason=body.reason if body else None))


@router.post(
    "/{booking_id}/complete",
    operation_id="completeBooking",
    response_model=BookingRead,
    responses={**STAFF_CHANGE, 422: problem(Invalid)},
)
async def complete_booking(
    booking_id: uuid.UUID, body: CompleteBody, actor: CurrentActor, session: SessionDep
) -> BookingRead:
    """Record actual usage once the slot started (staff); the final charge bills it, at least the minimum."""
    return await _read(
        session,
        await bookings.complete(
            session, actor, booking_id, actual_minutes=body.actual_minutes, actual_samples=body.actual_samples
        ),
    )


@router.post("/{booking_id}/no-show", operation_id="markNoShow", response_model=BookingRead, responses=STAFF_CHANGE)
async def mark_no_show(booking_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> BookingRead:
    """Record that the customer did not come (staff, once the slot started); the no-show fee is owed."""
    return await _read(session, await bookings.mark_no_show(session, actor, booking_id))


# Trainings


@instrument_router.get(
    "/trainings",
    operation_id="listInstrumentTrainings",
    response_model=Page[TrainingRead],
    responses=INSTRUMENT_NOT_FOUND,
)
async def list_trainings(
    instrument_id: uuid.UUID, actor: CurrentActor, session: SessionDep, page: PageDep
) -> Page[TrainingRead]:
    """Training records of an instrument: all for its staff, the caller's own for anyone else; newest first."""
    result = await trainings.list_visible(session, actor, instrument_id, limit=page.limit, cursor=page.cursor)
    return Page[TrainingRead](
        items=[TrainingRead.model_validate(t) for t in result.items], next_cursor=result.next_cursor
    )


@instrument_router.post(
    "/trainings",
    operation_id="recordTraining",
    status_code=status.HTTP_201_CREATED,
    response_model=TrainingRead,
    responses={**INSTRUMENT_NOT_FOUND, 403: problem(RoleNotAllowed), 422: problem(Invalid)},
)
async def record_training(
    instrument_id: uuid.UUID, body: TrainingCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Record that a user is trained on the instrument, optionally until an expiry (the instrument's staff)."""
    return await idem.run(
        lambda: trainings.record(
            session,
            actor,
            instrument_id,
            user_id=body.user_id,
            trained_at=body.trained_at,
            expires_at=body.expires_at,
            note=body.note,
        ),
        TrainingRead,
        location=lambda t: f"/api/v1/instruments/{instrument_id}/trainings/{t.id}",
    )


# Waitlist


@instrument_router.get(
    "/waitlist", operation_id="listWaitlist", response_model=Page[WaitlistRead], responses=INSTRUMENT_NOT_FOUND
)
async def list_waitlist(
    instrument_id: uuid.UUID,
    actor: CurrentActor,
    session: SessionDep,
    page: PageDep,
    state: Annotated[WaitlistState | None, Query(description="Only this state")] = None,
) -> Page[WaitlistRead]:
    """The instrument's waitlist, first come first: all of it for staff, the caller's organisations' entries
    for others."""
    result = await waitlist.list_visible(
        session, actor, instrument_id, state=state, limit=page.limit, cursor=page.cursor
    )
    return Page[WaitlistRead](
        items=[WaitlistRead.model_validate(e) for e in result.items], next_cursor=result.next_cursor
    )


@instrument_router.post(
    "/waitlist",
    operation_id="joinWaitlist",
    status_code=status.HTTP_201_CREATED,
    response_model=WaitlistRead,
    responses={**INSTRUMENT_NOT_FOUND, 409: problem(waitlist.SlotNotTaken), 422: problem(Invalid)},
)
async def join_waitlist(
    instrument_id: uuid.UUID, body: WaitlistCreate, actor: CurrentActor, session: SessionDep, idem: IdempotencyDep
) -> Response:
    """Wait for a taken slot; when a cancellation or rejection frees it, the first waiting party is notified
    (in-app) and may book it."""
    return await idem.run(
        lambda: waitlist.join(
            session,
            actor,
            instrument_id,
            start_at=body.start_at,
            end_at=body.end_at,
            customer_org_id=body.customer_org_id,
        ),
        WaitlistRead,
        location=lambda e: f"/api/v1/instruments/{instrument_id}/waitlist/{e.id}",
    )


@instrument_router.delete(
    "/waitlist/{entry_id}",
    operation_id="leaveWaitlist",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: problem(waitlist.WaitlistEntryNotFound)},
)
async def leave_waitlist(
    instrument_id: uuid.UUID, entry_id: uuid.UUID, actor: CurrentActor, session: SessionDep
) -> None:
    """Withdraw a waitlist entry (its organisation's members or the instrument's staff)."""
    await waitlist.leave(session, actor, instrument_id, entry_id)


# Calendar feed


@instrument_router.post(
    "/calendar-link",
    operation_id="rotateInstrumentCalendarLink",
    response_model=CalendarLink,
    responses={**INSTRUMENT_NOT_FOUND, 403: problem(RoleNotAllowed)},
)
async def rotate_calendar_link(
    instrument_id: uuid.UUID, request: Request, actor: CurrentActor, session: SessionDep
) -> CalendarLink:
    """Create or rotate the secret calendar-feed link (the instrument's staff); the old link stops working.
    The URL is shown only now."""
    feed, token = await calendar.rotate(session, actor, instrument_id)
    url = str(request.url_for("instrument_calendar", instrument_id=instrument_id).include_query_params(token=token))
    return CalendarLink(instrument_id=feed.instrument_id, url=url, created_at=feed.created_at)


@instrument_router.delete(
    "/calendar-link",
    operation_id="revokeInstrumentCalendarLink",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**INSTRUMENT_NOT_FOUND, 403: problem(RoleNotAllowed), 404: problem(calendar.CalendarFeedNotFound)},
)
async def revoke_calendar_link(instrument_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> None:
    """Revoke the calendar-feed link (the instrument's staff)."""
    await calendar.revoke(session, actor, instrument_id)


@instrument_router.get(
    "/calendar.ics",
    operation_id="getInstrumentCalendar",
    name="instrument_calendar",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "RFC 5545 busy times"},
        404: problem(calendar.CalendarFeedNotFound),
    },
)
async def get_calendar(
    instrument_id: uuid.UUID,
    session: SessionDep,
    token: Annotated[str | None, Query(max_length=128, description="The secret of the calendar link")] = None,
) -> Response:
    """Busy times of the instrument (bookings and maintenance; never who booked) as an iCalendar feed, for
    calendar apps; anonymous, authorised by the secret token of the calendar link."""
    body = await calendar.render(session, instrument_id, token)
    return Response(body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=60"})


# The bookings feed of an SME

ORGANISATION_NOT_FOUND: Responses = {404: problem(organisations.OrganisationNotFound)}


@organisation_router.post(
    "/booking-feed",
    operation_id="rotateOrganisationBookingFeed",
    response_model=BookingFeedLink,
    responses={**ORGANISATION_NOT_FOUND, 403: problem(RoleNotAllowed)},
)
async def rotate_booking_feed(
    organisation_id: uuid.UUID, request: Request, actor: CurrentActor, session: SessionDep
) -> BookingFeedLink:
    """Create or rotate the secret link of the SME's bookings calendar (its `sme_member`s and
    `sme_admin`s); the old link stops working. The URL is shown only now."""
    feed, token = await calendar.rotate_bookings(session, actor, organisation_id)
    url = request.url_for("organisation_booking_feed", organisation_id=organisation_id)
    return BookingFeedLink(
        organisation_id=feed.organisation_id, url=str(url.include_query_params(token=token)), created_at=feed.created_at
    )


@organisation_router.delete(
    "/booking-feed",
    operation_id="revokeOrganisationBookingFeed",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        404: problems_doc(organisations.OrganisationNotFound, calendar.BookingFeedNotFound),
        403: problem(RoleNotAllowed),
    },
)
async def revoke_booking_feed(organisation_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> None:
    """Revoke the link of the SME's bookings calendar (its `sme_member`s and `sme_admin`s)."""
    await calendar.revoke_bookings(session, actor, organisation_id)


@organisation_router.get(
    "/bookings.ics",
    operation_id="getOrganisationBookingFeed",
    name="organisation_booking_feed",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "RFC 5545 events of the SME's bookings"},
        404: problem(calendar.BookingFeedNotFound),
    },
)
async def get_booking_feed(
    organisation_id: uuid.UUID,
    session: SessionDep,
    token: Annotated[str | None, Query(max_length=128, description="The secret of the bookings feed link")] = None,
) -> Response:
    """The SME's bookings (requested, confirmed, completed; cancelled and rejected ones as CANCELLED) with
    the instrument and its centre, in the instrument's time zone, as an iCalendar feed for calendar apps;
    anonymous, authorised by the secret token of the link."""
    body = await calendar.render_bookings(session, organisation_id, token)
    return Response(body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=60"})
