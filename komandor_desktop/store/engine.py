"""Opening the SQLite file: connection pragmas, transactions, Alembic upgrade.

The sqlite3 driver's legacy transaction handling issues no BEGIN before SELECT
or DDL, so reads are not repeatable and a migration's DDL would commit
statement by statement. SQLAlchemy's documented recipe for Python 3.11 fixes
that: the driver's own BEGIN is switched off (``isolation_level = None``) in the
connect event and SQLAlchemy's "begin" event emits ``BEGIN`` itself. The
``autocommit`` attribute recipe needs Python 3.12 and is not used.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL

from ..errors import StoreError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 5000
# Page cache per connection, in KiB (negative: a size, not a page count). The
# default 2 MiB holds a tenth of the pages a refresh of 10,000 chats touches, so
# the second refresh of a sync read most of them back from the OS again.
CACHE_KIB = 32768

_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA cache_size=-{CACHE_KIB}",
)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Set the pragmas on every new DBAPI connection, outside any transaction.

    ``journal_mode`` and ``foreign_keys`` are no-ops inside a transaction, which
    is why they go here, before SQLAlchemy's first BEGIN.
    """
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN, not sqlite3
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _on_begin(connection: Connection) -> None:
    """Emit BEGIN ourselves (the sqlite3 driver still emits COMMIT/ROLLBACK)."""
    connection.exec_driver_sql("BEGIN")


def make_engine(path: Path) -> Engine:
    """An engine on the SQLite file ``path`` with the pragmas and BEGIN handling."""
    url = URL.create("sqlite+pysqlite", database=str(path))
    engine = create_engine(url)
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config built in code: no alembic.ini has to exist on disk.

    Args:
        connection: handed to ``migrations/env.py`` through ``config.attributes``
            so the upgrade runs on the store's own connection and transaction.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None for a fresh file)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the database to the head revision in one transaction.

    A database already at head costs one SELECT; nothing is written.

    Raises:
        StoreError: the database is at a revision this program does not know
            (written by a newer version).
    """
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    with engine.begin() as connection:
        current = current_revision(connection)
        if current == head:
            return
        if current is not None and not _known(scripts, current):
            raise StoreError(
                f"the local database is at schema revision {current!r}, unknown to this"
                f" version (newest known: {head!r}); it was written by a newer version"
            )
        log.info("migrating the local database from %s to %s", current, head)
        command.upgrade(alembic_config(connection), "head")


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False
