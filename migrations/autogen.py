"""Autogenerate hooks shared by env.py and the migration test (env.py only imports inside Alembic)."""

from __future__ import annotations

from models.base import UTCDateTime


def render_item(type_: str, obj: object, autogen_context) -> str | bool:
    """Render our TypeDecorators as the plain types they store, so revisions import only `sa`."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Objects the models cannot describe (full-text virtual tables and their shadow tables, triggers'
# helper tables) are created by hand in revisions and listed here so autogenerate ignores them.
IGNORED_TABLE_PREFIXES: tuple[str, ...] = ()


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    if type_ == "table" and name is not None and name.startswith(IGNORED_TABLE_PREFIXES):
        return False
    return True
