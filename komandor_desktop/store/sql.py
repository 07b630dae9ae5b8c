"""Two bulk statements every writer here needs, for SQLite.

Both take lists of dicts and run as one ``executemany``: per-row statements or
ORM objects would make a 10,000-chat refresh take many times longer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, Connection, Table, bindparam
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def upsert(connection: Connection, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT(key) DO UPDATE of every other column, for many rows."""
    if not rows:
        return
    stmt = sqlite_insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[key],
        set_={name: stmt.excluded[name] for name in rows[0] if name != key},
    )
    connection.execute(stmt, rows)


def delete_by(connection: Connection, column: Column[Any], values: Iterable[Any]) -> None:
    """DELETE the rows of ``column``'s table whose ``column`` is one of ``values``."""
    params = [{"b_value": value} for value in values]
    if params:
        table = column.table
        connection.execute(table.delete().where(column == bindparam("b_value")), params)
