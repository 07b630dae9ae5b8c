"""The window's reads of the chat list: every chat in brief, fast; one chat's summary.

The window's first paint of 10,000 chats reads every chat once, and every
microsecond per row counts there: ``list_rows`` reads only what the list's
structure needs (section, order, filters, unread) as the driver's plain
tuples, plus the chat's ``content_hash``, which changes whenever anything
stored for the chat does. What a painted row shows beyond that (status,
key, wait list, photo, preview) is ``read_summary`` of that one chat, asked
when the row is painted.
"""

from __future__ import annotations

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
    "unread", "content_hash",
)
_LIST = f"SELECT {', '.join(LIST_COLUMNS)} FROM chats"  # noqa: S608 - fixed column names
_SUMMARY = f"SELECT {', '.join(codec.SUMMARY_COLUMNS)} FROM chats WHERE id = ?"  # noqa: S608
_MEMBER = "SELECT 1 FROM chat_certificates WHERE chat_id = ? AND role = ? LIMIT 1"
_WAITS = "SELECT cid FROM chat_certificates WHERE chat_id = ? AND role = ? ORDER BY position"
# the codec's decoders: package-private, shared so both reads agree on every value
_status, _chat_type, _profile_type = codec._status, codec._chat_type, codec._profile_type  # noqa: SLF001


def list_rows(store: Store) -> list[tuple[Any, ...]]:
    """Every stored chat as a tuple of ``LIST_COLUMNS`` values, in no particular order."""
    with store._transaction() as connection, paused_gc():  # noqa: SLF001 - this package's
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            return list(cursor.execute(_LIST).fetchall())
        finally:
            cursor.close()


def read_summary(store: Store, chat_id: str) -> ChatSummary | None:
    """One stored chat as a ``ChatSummary`` (equal to ``chat_summaries``'), or None."""
    with store._transaction() as connection:  # noqa: SLF001 - this package's
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            row = cursor.execute(_SUMMARY, (chat_id,)).fetchone()
            if row is None:
                return None
            has_members = cursor.execute(_MEMBER, (chat_id, ROLE_MEMBER)).fetchone() is not None
            waits = tuple(r[0] for r in cursor.execute(_WAITS, (chat_id, ROLE_WAIT)))
        finally:
            cursor.close()
    (chat_id, status, chat_type, favorites, name, company, company_id, title, phone, photo,
     profile_type, verified, chat_name, key_id, text, msg_status, msg_time, unread) = row
    return ChatSummary(
        chat_id, _status(status), _chat_type(chat_type), bool(favorites), name, company,
        company_id, title, phone, photo, _profile_type(profile_type), bool(verified), chat_name,
        has_members, waits, key_id, text, msg_status, msg_time, unread)
