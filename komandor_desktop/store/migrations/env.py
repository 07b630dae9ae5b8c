"""Alembic environment of the local store.

Run from ``store.engine.upgrade``, which builds the Alembic config in code and
passes its open connection in ``config.attributes["connection"]``. Unlike
Alembic's template this file configures no logging (no ``fileConfig``), so the
application's loggers stay as the application set them.

For developers, ``alembic -x db=PATH revision --autogenerate -m ...`` also
works from a config whose ``script_location`` is this directory.
"""

from __future__ import annotations

from pathlib import Path

from alembic import context
from sqlalchemy import Connection

from komandor_desktop.store.engine import make_engine
from komandor_desktop.store.schema import metadata

config = context.config


def _configure_and_run(connection: Connection) -> None:
    """Run the migrations on ``connection`` (the DDL is transactional here)."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        transactional_ddl=True,  # true with the engine's own BEGIN recipe
        render_as_batch=True,  # SQLite needs table rebuilds for most ALTERs
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the caller's connection, else open the file named by ``-x db=PATH``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    db = context.get_x_argument(as_dictionary=True).get("db")
    if not db:
        raise RuntimeError("no connection given: pass -x db=PATH to the alembic command")
    engine = make_engine(Path(db))
    try:
        with engine.connect() as fresh:
            _configure_and_run(fresh)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("the local store has no offline (SQL script) migrations")
run_migrations_online()
