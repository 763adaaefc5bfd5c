"""The bare reference: FastAPI + raw asyncpg, the same SQL as the service, the same JSON out.

No ORM, no dependency-injected session, no auth, no Pydantic response models: a floor to
compare the real endpoints against.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import asyncpg
from fastapi import FastAPI, Response

from services import segmentation
from services.search import SNIPPET_CHARS

SEARCH_SQL = f"""
SELECT l.id, l.kind, l.title, l.title_en, substr(l.abstract, 1, {SNIPPET_CHARS}) AS abstract,
       substr(l.abstract_en, 1, {SNIPPET_CHARS}) AS abstract_en, l.fields, l.price_amount, l.price_currency,
       l.owner_org_id, l.centre_id, l.published_at, o.name AS owner_name, o.region, pilot.trl,
       ts_rank(listings.search_tsv, to_tsquery('simple'::regconfig, $1)) AS rank
FROM listings AS l
JOIN organisations AS o ON o.id = l.owner_org_id
LEFT OUTER JOIN pilot_results AS pilot ON pilot.id = l.id
WHERE l.search_tsv @@ to_tsquery('simple'::regconfig, $1) AND l.status = 'published'
ORDER BY rank DESC, l.published_at DESC, l.id DESC
LIMIT $2
""".replace("listings.search_tsv", "l.search_tsv")

GET_SQL = """
SELECT l.id, l.kind, l.status, l.owner_org_id, l.centre_id, l.title, l.title_en, l.abstract, l.abstract_en,
       l.fields, l.keywords, l.contact_name, l.contact_email, l.contact_phone, l.published_at, l.archived_at,
       l.created_at, l.updated_at, p.trl, p.pilot_scale, p.key_metrics, p.ip_assets, p.transfer_modes,
       l.price_amount, l.price_currency, p.price_negotiable
FROM listings AS l JOIN pilot_results AS p ON p.id = l.id
WHERE l.id = $1 AND l.status = 'published'
"""


def ts(value: datetime | None) -> str | None:
    """Pydantic's JSON form of an aware UTC datetime."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def tsquery(q: str) -> str:
    tokens = segmentation.query_tokens(q)
    return " & ".join(f"'{t}':*" if segmentation.is_latin(t) else f"'{t}'" for t in tokens)


def cursor(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def create_reference(dsn: str, pool_size: int = 10) -> FastAPI:
    app = FastAPI()
    state: dict = {}

    async def pool() -> asyncpg.Pool:
        if "pool" not in state:
            state["pool"] = await asyncpg.create_pool(dsn, min_size=1, max_size=pool_size)
        return state["pool"]

    @app.get("/ref/search")
    async def search(q: str, limit: int = 20) -> Response:
        async with (await pool()).acquire() as conn:
            rows = await conn.fetch(SEARCH_SQL, tsquery(q), limit + 1)
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
            next_cursor = cursor([last["rank"], {"t": last["published_at"].isoformat()}, {"u": last["id"].hex}])
        body = json.dumps({"items": items, "next_cursor": next_cursor}, ensure_ascii=False, separators=(",", ":"))
        return Response(body, media_type="application/json")

    @app.get("/ref/pilot-results/{result_id}")
    async def get_one(result_id: str) -> Response:
        async with (await pool()).acquire() as conn:
            r = await conn.fetchrow(GET_SQL, __import__("uuid").UUID(result_id))
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
