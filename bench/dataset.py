"""Synthetic catalogue for the benchmark, seeded with set-based SQL (no ORM, no per-row Python).

Vocabulary: 4,000 Chinese nouns taken from jieba's own dictionary (deterministic: sorted by
frequency, skipping the most common 300) and 2,100 synthetic English terms (root + suffix).
Each listing draws 8 Chinese and 5 English words at random; `search_text` is built from each
word's tokens (jieba's for Chinese, Snowball stems for English), computed once in Python with
services/segmentation.py, exactly as the service would index it.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import asyncpg
import jieba

from models.codes import uscc_check_character
from services import segmentation

CJK = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
ROOTS = (
    "lithium carbon silicon nickel cobalt polymer ceramic graphene sodium titanium copper aluminium steel "
    "photon laser sensor robot vision motor battery cathode anode membrane catalyst enzyme vaccine antibody "
    "protein genome cell fibre resin coating alloy magnet turbine engine valve pump filter solar wind hydrogen "
    "thermal acoustic optic radar chip wafer circuit signal network cloud quantum neural drone satellite"
).split()
SUFFIXES = (
    "",
    "s",
    "ic",
    "al",
    "ite",
    "ide",
    "ate",
    "ics",
    "ized",
    "ation",
    "ware",
    "scope",
    "meter",
    "graph",
    "tron",
    "lab",
    "line",
    "kit",
    "core",
    "cell",
    "plex",
    "form",
    "tech",
    "gen",
    "matic",
    "net",
    "flow",
    "pro",
    "max",
    "lite",
    "xt",
    "one",
    "duo",
    "tri",
    "nova",
)
TITLE_SUFFIX = {"pilot_result": "中试成果", "instrument": "分析仪", "service_offer": "检测服务"}


def chinese_vocabulary(size: int = 4000, skip: int = 300) -> list[str]:
    path = Path(jieba.get_dict_file().name)
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word, freq, *tag = line.split(" ")
        if CJK.match(word) and tag and tag[0] == "n":
            rows.append((int(freq), word))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return [w for _, w in rows[skip : skip + size]]


def english_vocabulary() -> list[str]:
    return sorted({root + suffix for root in ROOTS for suffix in SUFFIXES})


def queries(zh: list[str], en: list[str], n: int = 400, seed: int = 7) -> list[str]:
    """60% one Chinese word, 20% two Chinese words, 20% one English word."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r = i % 5
        if r < 3:
            out.append(rng.choice(zh))
        elif r == 3:
            out.append(rng.choice(zh) + " " + rng.choice(zh))
        else:
            out.append(rng.choice(en))
    return out


def _uscc(first17: str) -> str:
    return first17 + uscc_check_character(first17)


async def ensure_organisations(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """A centre with three institutes: (owner id, centre id) pairs."""
    found = await conn.fetch("SELECT id::text, coalesce(parent_id, id)::text AS centre FROM organisations ORDER BY id")
    if found:
        return [(r["id"], r["centre"]) for r in found]
    centre = await conn.fetchval(
        "INSERT INTO organisations (id, kind, name, uscc, region, verified, centre_category, timezone) "
        "VALUES (gen_random_uuid(), 'centre', '基准测试国家技术创新中心', $1, '310000', true, 'comprehensive', "
        "'Asia/Shanghai') RETURNING id",
        _uscc("12310000MB2F99990"),
    )
    for i, (name, region) in enumerate((("材料研究院", "320500"), ("装备研究所", "320100"), ("生物医药所", "330100"))):
        await conn.execute(
            "INSERT INTO organisations (id, kind, name, uscc, region, verified, parent_id, timezone) "
            "VALUES (gen_random_uuid(), 'institute', $1, $2, $3, true, $4, 'Asia/Shanghai')",
            name,
            _uscc(f"12{region}MB1A9999{i}"),
            region,
            centre,
        )
    return await ensure_organisations(conn)


SEED_SQL = """
WITH s AS (
    SELECT g,
           ARRAY(SELECT 1 + floor(random() * $1)::int FROM generate_series(1, 8) WHERE g > 0) AS c,
           ARRAY(SELECT 1 + floor(random() * $2)::int FROM generate_series(1, 5) WHERE g > 0) AS e,
           (ARRAY['pilot_result', 'pilot_result', 'instrument', 'service_offer'])[1 + g % 4] AS kind,
           1 + (g / 4) % $6 AS owner
    FROM generate_series($7::int, $8::int) AS g
), rows AS (
    SELECT s.*,
           $3::text[] AS zh, $4::text[] AS zt, $5::text[] AS en, $11::text[] AS et,
           (ARRAY['new_materials','new_energy','advanced_manufacturing','electronic_information',
                  'biomedicine','resources_environment'])[1 + g % 6] AS field
    FROM s
), ins AS (
    INSERT INTO listings (id, kind, status, owner_org_id, centre_id, title, title_en, abstract, abstract_en,
                          fields, keywords, price_amount, price_currency, search_text, title_text,
                          publication_seq, published_at, created_at, updated_at)
    SELECT gen_random_uuid(), kind, 'published', ($9::uuid[])[owner], ($10::uuid[])[owner],
           zh[c[1]] || zh[c[2]] || zh[c[3]] || CASE kind WHEN 'pilot_result' THEN '中试成果'
                                                         WHEN 'instrument' THEN '分析仪' ELSE '检测服务' END,
           initcap(en[e[1]]) || ' ' || en[e[2]] || ' ' || en[e[3]],
           '本成果涉及' || zh[c[1]] || '、' || zh[c[2]] || '、' || zh[c[3]] || '与' || zh[c[4]] || '，在'
               || zh[c[5]] || zh[c[6]] || '方面已完成中试验证，可用于' || zh[c[7]] || '和' || zh[c[8]] || '。',
           'Pilot-scale work on ' || en[e[1]] || ', ' || en[e[2]] || ' and ' || en[e[3]] || ' for '
               || en[e[4]] || ' ' || en[e[5]] || ' applications.',
           json_build_array(field), '[]'::json,
           CASE WHEN g % 7 = 0 THEN NULL ELSE (g::bigint * 7919 % 5000000) * 100 END, 'CNY',
           concat_ws(' ', zt[c[1]], zt[c[2]], zt[c[3]], zt[c[1]], zt[c[2]], zt[c[3]], zt[c[4]], zt[c[5]],
                     zt[c[6]], zt[c[7]], zt[c[8]], et[e[1]], et[e[2]], et[e[3]], et[e[1]], et[e[2]], et[e[3]],
                     et[e[4]], et[e[5]]),
           concat_ws(' ', zt[c[1]], zt[c[2]], zt[c[3]], et[e[1]], et[e[2]], et[e[3]]),
           2000000000 - g,
           now() - make_interval(secs => g), now() - make_interval(secs => g), now() - make_interval(secs => g)
    FROM rows
    RETURNING id, kind, price_amount, fields
), pr AS (
    INSERT INTO pilot_results (id, trl, pilot_scale, key_metrics, ip_assets, transfer_modes, price_negotiable)
    SELECT id, 1 + abs(hashtext(id::text)) % 9, '中试线', '[{"name": "比容量", "value": "205", "unit": "mAh/g"}]',
           '[]', '["exclusive_licence"]', price_amount IS NULL
    FROM ins WHERE kind = 'pilot_result'
), tm AS (
    INSERT INTO pilot_result_transfer_modes (pilot_result_id, mode)
    SELECT id, 'exclusive_licence' FROM ins WHERE kind = 'pilot_result'
), inst AS (
    INSERT INTO instruments (id, category, specifications, operation_mode)
    SELECT id, '分析仪器', '[]', 'operator_assisted' FROM ins WHERE kind = 'instrument'
), so AS (
    INSERT INTO service_offers (id, service_kind, price_model, lead_time_days, deliverables)
    SELECT id, 'testing', CASE WHEN price_amount IS NULL THEN 'quote' ELSE 'fixed' END, 10, '["检测报告"]'
    FROM ins WHERE kind = 'service_offer'
)
INSERT INTO listing_fields (listing_id, field) SELECT id, fields->>0 FROM ins
"""


# The RUM indexes exactly as the catalogue revision creates them (posting lists in publication order).
RUM_INDEXES = {
    name: f"CREATE INDEX {name} ON listings USING rum ({column} rum_tsvector_addon_ops, publication_seq) "
    f"WITH (attach = 'publication_seq', to = '{column}', order_by_attach = TRUE) WHERE status = 'published'"
    for name, column in (("ix_listings_title_rum", "title_tsv"), ("ix_listings_search_rum", "search_tsv"))
}


async def grow(conn: asyncpg.Connection, total: int, *, batch: int = 100_000, log=print) -> None:
    """Add published listings until there are `total`, in batches of set-based INSERTs."""
    zh, en = chinese_vocabulary(), english_vocabulary()
    tokens = [segmentation.index_tokens(w) for w in zh]
    stems = [segmentation.index_tokens(w) for w in en]  # one stem each (a run of letters)
    orgs = await ensure_organisations(conn)
    owners, centres = [o for o, _ in orgs], [c for _, c in orgs]
    have = await conn.fetchval("SELECT count(*) FROM listings")
    if have >= total:
        return
    await conn.execute("SELECT setseed(0.42)")
    # Text indexes are built once after the load (much faster than row by row).
    for name in ("ix_listings_search_tsv", *RUM_INDEXES):
        await conn.execute(f"DROP INDEX IF EXISTS {name}")
    start = have + 1
    while start <= total:
        end = min(start + batch - 1, total)
        await conn.execute(SEED_SQL, len(zh), len(en), zh, tokens, en, len(owners), start, end, owners, centres, stems)
        log(f"  seeded listings {start:,}-{end:,}")
        start = end + 1
    await conn.execute("SET maintenance_work_mem = '512MB'")
    await conn.execute(
        "CREATE INDEX ix_listings_search_tsv ON listings USING gin (search_tsv) WHERE status = 'published'"
    )
    for statement in RUM_INDEXES.values():
        await conn.execute(statement)
    await conn.execute("SELECT setval('listing_publication_seq', max(publication_seq) + 1, false) FROM listings")
    await conn.execute("VACUUM ANALYZE listings")
    for name in ("pilot_results", "listing_fields", "organisations", "pilot_result_transfer_modes"):
        await conn.execute(f"ANALYZE {name}")
    # Flush what the load dirtied now, so the measurement does not share the machine with the
    # checkpointer writing it out.
    await conn.execute("CHECKPOINT")
