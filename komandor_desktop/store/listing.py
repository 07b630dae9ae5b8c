"""The window's reads of the chat list: every chat in brief, fast; one chat's summary.

The window's first paint of 10,000 chats reads every chat once, and every
microsecond per row counts there: ``list_rows`` reads only what the list's
structure needs (section, order, filters, unread) as the driver's plain
tuples, plus the chat's ``content_hash``, which changes whenever anything
stored for the chat does, and its status and key id (whether the chat is
switched on, so that its unread messages count: ``views.counts_as_unread``).
What a painted row shows beyond that (wait list, photo, preview) is
``read_summary`` of that one chat, asked when the row is painted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from sqlite3 import Cursor
from typing import TYPE_CHECKING, Any

from ..bulk import paused_gc
from ..domain import ChatSummary
from . import codec
from .schema import ROLE_MEMBER, ROLE_WAIT

if TYPE_CHECKING:
    from .repository import Store

#: The columns of a ``list_rows`` row, in order (raw stored values).
LIST_COLUMNS = (
    "id", "favorites", "profile_type", "chat_type", "profile_company_id", "profile_company",
    "profile_name", "chat_name", "profile_phone", "profile_title", "last_message_time",
    "unread", "content_hash", "status", "key_id",
)
_LIST = f"SELECT {', '.join(LIST_COLUMNS)} FROM chats"  # noqa: S608 - fixed column names
_SUMMARY = f"SELECT {', '.join(codec.SUMMARY_COLUMNS)} FROM chats WHERE id = ?"  # noqa: S608
_MEMBER = "SELECT 1 FROM chat_certificates WHERE chat_id = ? AND role = ? LIMIT 1"
_WAITS = "SELECT cid FROM chat_certificates WHERE chat_id = ? AND role = ? ORDER BY position"


@contextmanager
def _cursor(store: Store) -> Iterator[Cursor]:
    """A driver cursor inside one of the store's transactions (no SQLAlchemy rows)."""
    with store._transaction() as connection:  # noqa: SLF001 - this package's
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            yield cursor
        finally:
            cursor.close()


def list_rows(store: Store) -> list[tuple[Any, ...]]:
    """Every stored chat as a tuple of ``LIST_COLUMNS`` values, in no particular order."""
    with _cursor(store) as cursor, paused_gc():
        return list(cursor.execute(_LIST).fetchall())


def read_summary(store: Store, chat_id: str) -> ChatSummary | None:
    """One stored chat as a ``ChatSummary``, or None (what a painted row shows)."""
    with _cursor(store) as cursor:
        row = cursor.execute(_SUMMARY, (chat_id,)).fetchone()
        if row is None:
            return None
        has_members = cursor.execute(_MEMBER, (chat_id, ROLE_MEMBER)).fetchone() is not None
        waits = tuple(r[0] for r in cursor.execute(_WAITS, (chat_id, ROLE_WAIT)))
    return codec.summary_from_row(row, has_members, waits)
