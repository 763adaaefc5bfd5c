"""The migrations build exactly the models' schema, go down and up again, and backfill rows written
before a revision; the revision files stay in chain order and import no application code."""

from __future__ import annotations

import ast
import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from migrations.autogen import LEDGER_TRIGGERS, include_name, render_item
from models import metadata
from services import demo, migrations, segmentation
from services.db import Database, create_engine
from services.ledger import verify
from services.settings import PROJECT_ROOT
from tests.factories.catalogue import create_published, make_world, pilot_body

VERSIONS = PROJECT_ROOT / "migrations" / "versions"
APPLICATION_PACKAGES = {"api", "services", "models"}
FOUNDATION = "06065964fc7b"  # the revision before the catalogue's
SCHEMA_HEAD = "fdc5275d0c70"  # contracts: the last schema revision, before the data backfills


async def _run(settings, work):
    engine = create_engine(settings, null_pool=True)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def _diff(settings) -> list:
    def compare(sync_conn):
        context = MigrationContext.configure(
            sync_conn,
            opts={"compare_type": True, "render_item": render_item, "include_name": include_name},
        )
        return compare_metadata(context, metadata)

    return asyncio.run(_run(settings, compare))


def _tables(settings) -> set[str]:
    return set(asyncio.run(_run(settings, lambda c: inspect(c).get_table_names())))


def _search_objects(settings) -> set[str]:
    """The hand-made search objects autogenerate cannot see: RUM and GIN indexes and the publication
    sequence on PostgreSQL, the FTS5 table and its triggers on SQLite."""

    def names(conn) -> set[str]:
        if conn.dialect.name == "postgresql":
            return set(
                conn.exec_driver_sql(
                    "SELECT indexname FROM pg_indexes WHERE indexname IN "
                    "('ix_listings_title_rum', 'ix_listings_search_rum', 'ix_listings_search_tsv') "
                    "UNION SELECT sequencename FROM pg_sequences WHERE sequencename = 'listing_publication_seq'"
                ).scalars()
            )
        return set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE name LIKE 'listing_fts%'").scalars())

    return asyncio.run(_run(settings, names))


def _scripts(settings) -> ScriptDirectory:
    return ScriptDirectory.from_config(migrations.alembic_config(settings))


class TestSchema:
    def test_autogenerate_finds_no_difference(self, settings):
        """The models and the migrated database agree (compared with the hooks env.py uses)."""
        assert _diff(settings) == []

    def test_alembic_check_finds_no_difference(self, settings):
        """`alembic check` through env.py raises when autogenerate would emit any operation."""
        command.check(migrations.alembic_config(settings))

    def test_downgrade_to_base_and_upgrade_again(self, settings):
        """Every revision goes down to an empty database and up again to the models' schema."""
        migrations.downgrade(settings, "base")
        assert _tables(settings) <= {"alembic_version"}
        migrations.upgrade(settings, "head")
        assert {t.name for t in metadata.sorted_tables} <= _tables(settings)
        assert _diff(settings) == []

    def test_the_catalogue_revision_downgrades_and_upgrades_again(self, settings, is_postgres):
        """Its tables and its hand-made search objects go with it and come back."""
        migrations.downgrade(settings, FOUNDATION)
        assert not {"listings", "listing_fts"} & _tables(settings)
        assert _search_objects(settings) == set()
        migrations.upgrade(settings)
        assert {"listings", "pilot_results", "instruments", "service_offers", "attachments"} <= _tables(settings)
        expected = (
            {"ix_listings_title_rum", "ix_listings_search_rum", "ix_listings_search_tsv", "listing_publication_seq"}
            if is_postgres
            else {"listing_fts", "listing_fts_insert", "listing_fts_update", "listing_fts_delete"}
        )
        assert expected <= _search_objects(settings)
        command.check(migrations.alembic_config(settings))


class TestRevisionFiles:
    def test_file_names_sort_in_chain_order(self, base_settings):
        """Listing the directory shows the revisions in the order they run, from one base to one head."""
        scripts = _scripts(base_settings)
        assert len(scripts.get_heads()) == 1
        chain = [Path(s.path).name for s in reversed(list(scripts.walk_revisions()))]
        assert chain == sorted(p.name for p in VERSIONS.glob("*.py"))

    def test_a_revision_generated_now_sorts_after_the_existing_ones(self):
        """alembic.ini's file_template starts with the UTC date and time, later than every file's."""
        now = time.strftime("%Y-%m-%d-%H%M", time.gmtime())
        assert all(p.name < now for p in VERSIONS.glob("*.py"))

    def test_revisions_import_no_application_code(self):
        """A revision runs the same however `api`, `services` or `models` change later."""
        imports = []
        for path in sorted(VERSIONS.glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    imports += [(path.name, alias.name) for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    imports.append((path.name, node.module or ""))
        assert [(f, m) for f, m in imports if m.split(".")[0] in APPLICATION_PACKAGES] == []


ORGANISATIONS = sa.table(
    "organisations",
    *(sa.column(c) for c in ("kind", "name", "uscc", "region")),
    sa.column("id", sa.Uuid()),
)
LISTINGS = sa.table(
    "listings",
    *(sa.column(c) for c in ("kind", "status", "title", "title_en", "abstract", "search_text")),
    *(sa.column(c, sa.Uuid()) for c in ("id", "owner_org_id", "centre_id")),
    *(sa.column(c, sa.JSON()) for c in ("fields", "keywords")),
    sa.column("published_at", sa.DateTime(timezone=True)),
    sa.column("title_text"),
    sa.column("publication_seq"),
)

# Listings as a release before the search tiers wrote them: search text, but no title tokens and no
# publication numbers. Inserted out of publication order.
LEGACY = {
    "solid_state": ("固态电池电解质中试", None, "氧化物固态电解质。", datetime(2026, 3, 1, tzinfo=UTC)),
    "cathode": (
        "高能量密度锂电池正极材料中试成果",
        "Pilot-scale high energy density cathode material",
        "高镍三元正极材料。",
        datetime(2026, 1, 1, tzinfo=UTC),
    ),
    "sodium_draft": ("钠离子电池", "Sodium-ion battery", "尚未发布。", None),
    "spectrometer": (
        "质谱仪共享服务",
        "Mass spectrometry service",
        "用于电池材料成分分析。",
        datetime(2026, 2, 1, tzinfo=UTC),
    ),
}


def _unstemmed(*texts: str | None) -> str:
    """`index_tokens` as it was before English stems (revision 0016)."""
    return " ".join(t for text in texts if text for t in segmentation.words(text, search_mode=True))


def _backfill(settings) -> dict[str, uuid.UUID]:
    """Go back to the last schema revision, write LEGACY with plain SQL, and upgrade through the
    backfills; the ids of the listings by LEGACY's keys."""
    migrations.downgrade(settings, SCHEMA_HEAD)
    centre = uuid.uuid4()
    ids = {key: uuid.uuid4() for key in LEGACY}

    def legacy(conn) -> None:
        conn.execute(
            sa.insert(ORGANISATIONS).values(
                id=centre, kind="centre", name="旧中心", uscc="12320000MB0000001X", region="320500"
            )
        )
        conn.execute(
            sa.insert(LISTINGS),
            [
                {
                    "id": ids[key],
                    "kind": "pilot_result",
                    "status": "draft" if published_at is None else "published",
                    "owner_org_id": centre,
                    "centre_id": centre,
                    "title": title,
                    "title_en": title_en,
                    "abstract": abstract,
                    "fields": [],
                    "keywords": [],
                    # Whole English words: these releases did not stem (revision 0016 does).
                    "search_text": _unstemmed(title, title_en, abstract),
                    "published_at": published_at,
                }
                for key, (title, title_en, abstract, published_at) in LEGACY.items()
            ],
        )

    asyncio.run(_run(settings, legacy))
    migrations.upgrade(settings)
    return ids


def _listing_columns(settings, *columns: str) -> dict[uuid.UUID, tuple]:
    def read(conn):
        rows = conn.execute(sa.select(LISTINGS.c.id, *(LISTINGS.c[c] for c in columns)))
        return {row[0]: tuple(row[1:]) for row in rows}

    return asyncio.run(_run(settings, read))


class TestSearchBackfill:
    def test_listings_get_the_title_tokens_the_services_would_write(self, settings, db):
        """`title_text` is `index_tokens(title, title_en)` for every listing, published or not."""
        ids = _backfill(settings)
        stored = _listing_columns(settings, "title_text")
        assert {key: stored[ids[key]][0] for key in LEGACY} == {
            key: segmentation.index_tokens(title, title_en) for key, (title, title_en, _, _) in LEGACY.items()
        }

    def test_published_listings_are_numbered_in_publication_order(self, settings, db):
        """Distinct increasing numbers by `published_at`; a listing never published gets none."""
        ids = _backfill(settings)
        seq = {key: _listing_columns(settings, "publication_seq")[ids[key]][0] for key in LEGACY}
        assert seq["sodium_draft"] is None
        assert seq["cathode"] < seq["spectrometer"] < seq["solid_state"]

    async def test_search_ranks_backfilled_listings_by_title_then_newest(self, settings, client):
        """Title matches first (rank 2), newest first within a tier; drafts stay out."""
        await asyncio.to_thread(_backfill, settings)
        response = await client.get("/api/v1/catalogue/search", params={"q": "电池"})
        assert response.status_code == 200, response.text
        assert [(hit["title"], hit["rank"]) for hit in response.json()["items"]] == [
            ("固态电池电解质中试", 2),
            ("高能量密度锂电池正极材料中试成果", 2),
            ("质谱仪共享服务", 1),
        ]

    async def test_a_listing_published_afterwards_is_numbered_after_them(self, settings, client, db, app):
        """The services' numbering (PostgreSQL's sequence, SQLite's max + 1) continues after the backfill."""
        ids = await asyncio.to_thread(_backfill, settings)
        w = await make_world(db, app)
        created = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        seq = await asyncio.to_thread(_listing_columns, settings, "publication_seq")
        backfilled = [seq[ids[key]][0] for key in LEGACY if LEGACY[key][3] is not None]
        assert seq[uuid.UUID(created["id"])][0] > max(backfilled)


PRE_STEMS = "a15c0e3d7f21"  # reconciliation: the revision before English stems
STEMS_BATCH = 500  # the revision's batch size: the listings below fill more than one batch
# (title, title_en, abstract) of listings indexed before stems, newest first.
UNSTEMMED = [
    ("钠离子电池硬碳负极材料", "Hard carbon anode for sodium-ion batteries", "硬碳负极。"),
    ("质谱仪共享服务", "Mass spectrometry service", "Composition of cathodes for lithium battery cells."),
    *((f"场发射扫描电子显微镜{i}", "Field-emission scanning electron microscopes", "共享仪器。") for i in range(600)),
]


def _indexed_listings(settings, before: str, tokens) -> list[uuid.UUID]:
    """Back to revision `before`, UNSTEMMED written with `tokens(*texts)` as those releases indexed
    them, and up again; the listings' ids in UNSTEMMED's order."""
    migrations.downgrade(settings, before)
    centre = uuid.uuid4()
    ids = [uuid.uuid4() for _ in UNSTEMMED]

    def legacy(conn) -> None:
        conn.execute(
            sa.insert(ORGANISATIONS).values(
                id=centre, kind="centre", name="旧中心", uscc="12320000MB0000001X", region="320500"
            )
        )
        conn.execute(
            sa.insert(LISTINGS),
            [
                {
                    "id": ids[n],
                    "kind": "instrument",
                    "status": "published",
                    "owner_org_id": centre,
                    "centre_id": centre,
                    "title": title,
                    "title_en": title_en,
                    "abstract": abstract,
                    "fields": [],
                    "keywords": [],
                    "search_text": tokens(title, title, title_en, title_en, abstract),
                    "title_text": tokens(title, title_en),
                    "published_at": datetime(2026, 1, 1, tzinfo=UTC),
                    "publication_seq": 10_000 - n,
                }
                for n, (title, title_en, abstract) in enumerate(UNSTEMMED)
            ],
        )

    asyncio.run(_run(settings, legacy))
    migrations.upgrade(settings)
    return ids


def _stems_backfill(settings) -> list[uuid.UUID]:
    """Listings indexed with whole English words, as the releases before stems did."""
    return _indexed_listings(settings, PRE_STEMS, _unstemmed)


class TestSearchStems:
    def test_listings_indexed_before_get_the_tokens_the_services_now_write(self, settings, db):
        """Every listing, in the first batch and after it: English tokens stemmed, Chinese ones kept."""
        assert len(UNSTEMMED) > STEMS_BATCH
        ids = _stems_backfill(settings)
        stored = _listing_columns(settings, "search_text", "title_text")
        assert [stored[i] for i in ids] == [
            (
                segmentation.index_tokens(title, title, title_en, title_en, abstract),
                segmentation.index_tokens(title, title_en),
            )
            for title, title_en, abstract in UNSTEMMED
        ]
        title_tokens = stored[ids[0]][1].split()
        assert {"ion", "batteri"} <= set(title_tokens) and "batteries" not in title_tokens
        assert "钠离子" in stored[ids[0]][1].split() and "microscop" in stored[ids[-1]][1].split()

    async def test_an_inflected_word_finds_them_and_title_matches_rank_first(self, settings, client):
        """`battery` finds `batteries` in a title (rank 2) before `battery` in an abstract (rank 1)."""
        await asyncio.to_thread(_stems_backfill, settings)
        response = await client.get("/api/v1/catalogue/search", params={"q": "battery"})
        assert response.status_code == 200, response.text
        assert [(hit["title"], hit["rank"]) for hit in response.json()["items"]] == [
            ("钠离子电池硬碳负极材料", 2),
            ("质谱仪共享服务", 1),
        ]
        found = await client.get("/api/v1/catalogue/search", params={"q": "microscope", "limit": 5})
        assert [hit["rank"] for hit in found.json()["items"]] == [2] * 5


LEDGER_SCHEMA = "8f2e8dc8d2c9"  # settlements and the ledger, before their backfill


PRE_PREFIXES = "b0f33d160017"  # booking feeds: the revision before indexed English prefixes


class TestSearchPrefixes:
    def _indexed_before(self, settings) -> list[uuid.UUID]:
        """Listings indexed with stems but without prefixes, as the releases before 0018 did."""

        def stems_only(*texts: str) -> str:
            return " ".join(segmentation.stem(_unstemmed(*texts).split()))

        return _indexed_listings(settings, PRE_PREFIXES, stems_only)

    def test_listings_indexed_before_get_the_prefixes_the_services_now_write(self, settings, db):
        assert len(UNSTEMMED) > STEMS_BATCH
        ids = self._indexed_before(settings)
        stored = _listing_columns(settings, "search_text", "title_text")
        assert [stored[i] for i in ids] == [
            (
                segmentation.index_tokens(title, title, title_en, title_en, abstract),
                segmentation.index_tokens(title, title_en),
            )
            for title, title_en, abstract in UNSTEMMED
        ]
        assert {"ba", "batter", "micro"} <= set(stored[ids[0]][0].split()) | set(stored[ids[-1]][0].split())

    async def test_a_typed_prefix_finds_them_with_title_matches_first(self, settings, client):
        await asyncio.to_thread(self._indexed_before, settings)
        response = await client.get("/api/v1/catalogue/search", params={"q": "batt"})
        assert response.status_code == 200, response.text
        assert [(hit["title"], hit["rank"]) for hit in response.json()["items"]] == [
            ("钠离子电池硬碳负极材料", 2),
            ("质谱仪共享服务", 1),
        ]


def _triggers(settings) -> set[str]:
    def read(conn):
        if conn.dialect.name == "postgresql":
            sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        else:
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        return {row[0] for row in conn.execute(sa.text(sql))}

    return asyncio.run(_run(settings, read))


def _settlements(settings) -> set[tuple]:
    def read(conn):
        rows = conn.execute(sa.text("SELECT source, source_id, amount, centre_id FROM settlements")).all()
        return {(r[0], str(r[1]).replace("-", ""), r[2], str(r[3]).replace("-", "")) for r in rows}

    return asyncio.run(_run(settings, read))


class TestLedgerRevision:
    def test_the_ledgers_triggers_exist(self, settings, is_postgres):
        expected = LEDGER_TRIGGERS["postgresql" if is_postgres else "sqlite"]
        assert expected <= _triggers(settings)

    def test_the_backfill_settles_what_was_owed_before_the_ledger(self, settings, db):
        """Demo data owes money through bookings and milestones; taken back to before the ledger and
        brought up again, the backfill gives each owed amount its settlement and accrual entry."""

        async def seed() -> None:
            database = Database(settings)  # this loop's own engine (the fixture's belongs to another loop)
            try:
                async with database.session_scope() as session:
                    await demo.seed(session, settings)
            finally:
                await database.dispose()

        asyncio.run(seed())
        before = _settlements(settings)
        assert {source for source, *_ in before} == {"booking", "milestone"}
        migrations.downgrade(settings, "1d936aadf05c")
        assert "settlements" not in _tables(settings)
        migrations.upgrade(settings)
        assert _settlements(settings) == before

        async def audit():
            database = Database(settings)
            try:
                async with database.session_scope() as session:
                    return await verify.run(session)
            finally:
                await database.dispose()

        assert asyncio.run(audit()) == []
