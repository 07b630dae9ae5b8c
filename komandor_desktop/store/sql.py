"""The bulk statements every writer here needs, for SQLite, over plain tuples.

Each takes a list of value tuples in a given column order and runs as one
``executemany`` straight through the driver (``exec_driver_sql``: the same
connection, transaction and events). Per-row statements or ORM objects would
make a 10,000-chat refresh take many times longer, and even Core's dict
parameters cost more per row (about 8 µs, compiling each row's parameters)
than SQLite's own insert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Connection, Table


def _names(columns: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in columns)


@lru_cache(maxsize=64)
def insert_sql(table: str, columns: tuple[str, ...], *, or_ignore: bool = False) -> str:
    """``INSERT [OR IGNORE] INTO table (columns) VALUES (?, ...)``."""
    verb = "INSERT OR IGNORE" if or_ignore else "INSERT"
    marks = ", ".join("?" * len(columns))
    return f'{verb} INTO "{table}" ({_names(columns)}) VALUES ({marks})'


@lru_cache(maxsize=64)
def upsert_sql(table: str, key: str, columns: tuple[str, ...]) -> str:
    """An insert that updates every other column when ``key`` exists already."""
    updates = ", ".join(f'"{name}" = excluded."{name}"' for name in columns if name != key)
    return f'{insert_sql(table, columns)} ON CONFLICT ("{key}") DO UPDATE SET {updates}'


def execute_many(connection: Connection, statement: str,
                 rows: Sequence[Sequence[Any]]) -> None:
    """Run ``statement`` once per row, in one ``executemany``; nothing for no rows."""
    if rows:
        connection.exec_driver_sql(statement, list(rows))


def insert(connection: Connection, table: Table, columns: tuple[str, ...],
           rows: Sequence[Sequence[Any]], *, or_ignore: bool = False) -> None:
    """INSERT many rows given as tuples in ``columns`` order."""
    execute_many(connection, insert_sql(table.name, columns, or_ignore=or_ignore), rows)


def upsert(connection: Connection, table: Table, key: str, columns: tuple[str, ...],
           rows: Sequence[Sequence[Any]]) -> None:
    """INSERT ... ON CONFLICT(key) DO UPDATE of every other column, for many rows."""
    execute_many(connection, upsert_sql(table.name, key, columns), rows)


def delete_by(connection: Connection, column: Column[Any], values: Iterable[Any]) -> None:
    """DELETE the rows of ``column``'s table whose ``column`` is one of ``values``."""
    statement = f'DELETE FROM "{column.table.name}" WHERE "{column.name}" = ?'
    execute_many(connection, statement, [(value,) for value in values])
