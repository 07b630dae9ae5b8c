"""The local store: chats, states, the key outbox and settings in SQLite.

``Store`` is the only entry point; it returns domain objects, never rows.
"""

from .repository import Store

__all__ = ["Store"]
