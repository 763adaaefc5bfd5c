"""The Core read of a pilot-scale result (`pilot_results.read`) answers exactly as the ORM object does."""

from __future__ import annotations

import uuid

from api.schemas.pilot_results import PilotResultRead
from models.pilot_results import PilotResult
from services import pilot_results
from tests.factories.catalogue import create_published, make_world, pilot_body


def _keys_read(schema) -> set[str]:
    """The input keys a response schema reads (its fields' validation aliases, else their names)."""
    return {field.validation_alias or name for name, field in schema.model_fields.items()}


class TestReadColumns:
    """pilot_results._READ_COLUMNS are the columns PilotResultRead reads, no more and no fewer."""

    async def test_the_core_row_holds_exactly_the_columns_the_response_reads(self, client, db, app):
        w = await make_world(db, app)
        made = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        async with db.read_session() as session:
            row = await pilot_results.read(session, None, uuid.UUID(made["id"]))
        assert set(row) == _keys_read(PilotResultRead)

    async def test_the_core_row_validates_to_the_orm_objects_response(self, client, db, app):
        w = await make_world(db, app)
        body = pilot_body(keywords=["正极"], contact_name="刘洋", contact_email="liu@example.com", pilot_scale="1 t")
        made = await create_published(client, w.institute_staff, "pilot-results", body)
        async with db.read_session() as session:
            row = await pilot_results.read(session, None, uuid.UUID(made["id"]))
        async with db.session_scope() as session:
            expected = PilotResultRead.model_validate(await session.get(PilotResult, uuid.UUID(made["id"])))
        assert PilotResultRead.model_validate(row) == expected
