"""The demo catalogue loads, is searchable, and loading it again changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from models.catalogue import Listing
from models.enums import ListingStatus
from services import demo, search


async def test_demo_catalogue_is_idempotent_and_searchable(db, settings):
    async with db.session_scope() as session:
        first = await demo.seed(session, settings)
    async with db.session_scope() as session:
        second = await demo.seed(session, settings)
        count = await session.scalar(
            select(func.count()).select_from(Listing).where(Listing.status == ListingStatus.published)
        )
        hits = await search.search(session, search.SearchQuery(q="锂电池"), limit=50, cursor=None)
        english = await search.search(session, search.SearchQuery(q="battery"), limit=50, cursor=None)
    assert first.created["pilot results"] >= 10
    assert count >= 24
    assert not any(key in second.created for key in ("pilot results", "instruments", "service offers"))
    assert "高能量密度锂电池正极材料中试成果" in [row["title"] for row in hits.items]
    assert len(english.items) >= 3
