"""The bare reference: FastAPI + raw asyncpg, the same SQL as the service, the same JSON out.

No ORM, no dependency-injected session, no auth, no Pydantic response models: a floor to
compare the real endpoints against.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import UTC, datetime

import asyncpg
from fastapi import FastAPI, Response

from services import search, segmentation
from services.search import FIRST_SEQ

# Exactly the app's SQL (services/search.py, services/pilot_results.py as compiled for asyncpg),
# laid out for reading; bench/run.py checks before timing that the app sends this text (up to
# whitespace) and that both answer with equal JSON.
SEARCH_SQL = """
WITH title AS
(SELECT listings.id AS id, listings.publication_seq AS seq, 2 AS tier
FROM listings
WHERE listings.status = 'published' AND (listings.title_tsv @@ to_tsquery('simple'::regconfig, $1))
  AND listings.publication_seq + 0 < $2::BIGINT ORDER BY listings.publication_seq <=| $2::BIGINT
 LIMIT $3),
text AS
(SELECT listings.id AS id, listings.publication_seq AS seq, 1 AS tier
FROM listings
WHERE listings.status = 'published' AND (listings.search_tsv @@ to_tsquery('simple'::regconfig, $1))
  AND NOT (listings.title_tsv @@ to_tsquery('simple'::regconfig, $1))
  AND listings.publication_seq + 0 < $4::BIGINT ORDER BY listings.publication_seq <=| $4::BIGINT
 LIMIT $3 - (SELECT count(*) AS count_1 FROM title)),
page AS
(SELECT title.id AS id, title.seq AS seq, title.tier AS tier FROM title
 UNION ALL SELECT text.id AS id, text.seq AS seq, text.tier AS tier FROM text)
 SELECT listings.id, listings.kind, listings.title, listings.title_en,
        substr(listings.abstract, 1, 280) AS abstract, substr(listings.abstract_en, 1, 280) AS abstract_en,
        listings.fields, listings.price_amount, listings.price_currency, listings.owner_org_id,
        listings.centre_id, listings.published_at, organisations.name AS owner_name,
        organisations.region AS region, pilot.trl AS trl, page.tier AS rank, page.seq AS seq
FROM page JOIN listings ON listings.id = page.id JOIN organisations ON organisations.id = listings.owner_org_id
LEFT OUTER JOIN pilot_results AS pilot ON pilot.id = listings.id
ORDER BY page.tier DESC, page.seq DESC
"""

GET_SQL = """
SELECT listings.id, listings.kind, listings.status, listings.owner_org_id, listings.centre_id, listings.title,
       listings.title_en, listings.abstract, listings.abstract_en, listings.fields, listings.keywords,
       listings.contact_name, listings.contact_email, listings.contact_phone, listings.published_at,
       listings.archived_at, listings.created_at, listings.updated_at, pilot_results.trl,
       pilot_results.pilot_scale, pilot_results.key_metrics, pilot_results.ip_assets,
       pilot_results.transfer_modes, listings.price_amount, listings.price_currency,
       pilot_results.price_negotiable
FROM listings JOIN pilot_results ON pilot_results.id = listings.id
WHERE listings.id = $1::UUID AND listings.status = $2
"""


def ts(value: datetime | None) -> str | None:
    """Pydantic's JSON form of an aware UTC datetime."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def tsquery(q: str) -> str:
    return search.tsquery(segmentation.query_tokens(q))


def cursor(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def create_reference(dsn: str, pool_size: int = 10) -> FastAPI:
    app = FastAPI()
    state: dict = {}

    async def pool() -> asyncpg.Pool:
        if "pool" not in state:
            # The app's read connections' server settings (services/db.py), so both run the same
            # SQL under the same plans.
            state["pool"] = await asyncpg.create_pool(
                dsn, min_size=1, max_size=pool_size, server_settings={"plan_cache_mode": "force_generic_plan"}
            )
        return state["pool"]

    @app.get("/ref/search")
    async def search(q: str, limit: int = 20) -> Response:
        async with (await pool()).acquire() as conn:
            rows = await conn.fetch(SEARCH_SQL, tsquery(q), FIRST_SEQ, limit + 1, FIRST_SEQ)
        items = [
            {
                "id": str(r["id"]),
                "kind": r["kind"],
                "title": r["title"],
                "title_en": r["title_en"],
                "abstract": r["abstract"],
                "abstract_en": r["abstract_en"],
                "fields": json.loads(r["fields"]),
                "price": None
                if r["price_amount"] is None
                else {"amount": r["price_amount"], "currency": r["price_currency"]},
                "trl": r["trl"],
                "owner_org_id": str(r["owner_org_id"]),
                "owner_name": r["owner_name"],
                "centre_id": str(r["centre_id"]),
                "region": r["region"],
                "published_at": ts(r["published_at"]),
                "rank": r["rank"],
            }
            for r in rows[:limit]
        ]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = cursor([last["rank"], last["seq"]])
        body = json.dumps({"items": items, "next_cursor": next_cursor}, ensure_ascii=False, separators=(",", ":"))
        return Response(body, media_type="application/json")

    @app.get("/ref/pilot-results/{result_id}")
    async def get_one(result_id: str) -> Response:
        async with (await pool()).acquire() as conn:
            r = await conn.fetchrow(GET_SQL, uuid.UUID(result_id), "published")
        if r is None:
            return Response(status_code=404)
        body = {
            "id": str(r["id"]),
            "kind": r["kind"],
            "status": r["status"],
            "owner_org_id": str(r["owner_org_id"]),
            "centre_id": str(r["centre_id"]),
            "title": r["title"],
            "title_en": r["title_en"],
            "abstract": r["abstract"],
            "abstract_en": r["abstract_en"],
            "fields": json.loads(r["fields"]),
            "keywords": json.loads(r["keywords"]),
            "contact_name": r["contact_name"],
            "contact_email": r["contact_email"],
            "contact_phone": r["contact_phone"],
            "published_at": ts(r["published_at"]),
            "archived_at": ts(r["archived_at"]),
            "created_at": ts(r["created_at"]),
            "updated_at": ts(r["updated_at"]),
            "trl": r["trl"],
            "pilot_scale": r["pilot_scale"],
            "key_metrics": json.loads(r["key_metrics"]),
            "ip_assets": json.loads(r["ip_assets"]),
            "transfer_modes": json.loads(r["transfer_modes"]),
            "asking_price": None
            if r["price_amount"] is None
            else {"amount": r["price_amount"], "currency": r["price_currency"]},
            "price_negotiable": r["price_negotiable"],
        }
        return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), media_type="application/json")

    @app.on_event("shutdown")
    async def close() -> None:
        if "pool" in state:
            await state["pool"].close()

    app.state.close = close
    return app


def from_env() -> FastAPI:
    """`uvicorn --factory bench.reference:from_env` (the HTTP benchmark): the database from BENCH_DSN."""
    return create_reference(os.environ["BENCH_DSN"])
