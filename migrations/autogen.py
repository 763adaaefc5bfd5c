"""Autogenerate hooks shared by env.py and the migration test (env.py only imports inside Alembic)."""

from __future__ import annotations

from models.base import UTCDateTime


def render_item(type_: str, obj: object, autogen_context) -> str | bool:
    """Render our TypeDecorators as the plain types they store, so revisions import only `sa`."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Objects autogenerate cannot see in the models, created by hand in the catalogue revision: the
# SQLite FTS5 search table (and the shadow tables FTS5 keeps beside it), PostgreSQL's generated
# tsvector columns on listings, its GIN index and its RUM indexes.
UNMODELLED_TABLE_PREFIXES = ("listing_fts",)
UNMODELLED_INDEXES = frozenset({"ix_listings_search_tsv", "ix_listings_title_rum", "ix_listings_search_rum"})
UNMODELLED_COLUMNS = frozenset({("listings", "search_tsv"), ("listings", "title_tsv")})

# Triggers that keep the ledger's promises (the settlements-and-ledger revision makes them; the
# schema test checks they exist, since autogenerate cannot see triggers).
LEDGER_TRIGGERS = {
    "postgresql": frozenset(
        {
            "ledger_entries_append_only",
            "ledger_postings_append_only",
            "contract_amounts_owed_append_only",
            "ledger_postings_check",
            "ledger_entries_check",
            "bookings_charge_frozen",
        }
    ),
    "sqlite": frozenset(
        {
            *(
                f"{t}_append_only_{e}"
                for t in ("ledger_entries", "ledger_postings", "contract_amounts_owed")
                for e in ("update", "delete")
            ),
            "ledger_postings_check",
            "ledger_entries_check",
            "bookings_charge_frozen",
        }
    ),
}


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Leave hand-made objects out of the comparison, so autogenerate finds no difference."""
    if type_ == "table" and name and name.startswith(UNMODELLED_TABLE_PREFIXES):
        return False
    if type_ == "index" and name in UNMODELLED_INDEXES:
        return False
    if type_ == "column" and (parent_names.get("table_name"), name) in UNMODELLED_COLUMNS:
        return False
    return True
