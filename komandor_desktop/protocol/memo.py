"""The parse memo of the chat listing: what the last response's chats parsed to.

``parse_chats`` (``chats.py``) asks it first: a chat object unchanged since the
last response is not validated again.
"""

from __future__ import annotations

import hashlib
import pickle
from typing import Any

from ..domain import Chat


class ParseMemo:
    """The valid chats of the last response with their JSON text, by fingerprint.

    A chat is a pure function of its JSON object, so an object unchanged
    since the last response gets the same immutable ``Chat`` (and text) back
    without being encoded or validated again: a refresh of 10,000 chats of
    which 1% changed validates 100. Handing back the *same* object lets the
    store skip it by identity.

    Only the last response is kept, and of it at most ``max_chats`` chats (a
    server decides how long its listing is; past the bound, chats are simply
    validated every time). One memo per source of listings: the ``ApiClient``
    of a session owns one and passes it to ``parse_chats``; a memo shared by
    two accounts would only miss.

    Args:
        max_chats: how many chats of a response are remembered at most.
    """

    def __init__(self, max_chats: int = 20_000) -> None:
        if max_chats < 0:
            raise ValueError("max_chats must not be negative")
        self.max_chats = max_chats
        self._last: dict[bytes, tuple[str, Chat]] = {}

    def __len__(self) -> int:
        return len(self._last)

    def keys(self) -> list[bytes]:
        """The fingerprints remembered now (SHA-256 digests)."""
        return list(self._last)

    def get(self, key: bytes) -> tuple[str, Chat] | None:
        return self._last.get(key)

    def replace(self, parsed: dict[bytes, tuple[str, Chat]]) -> None:
        """Remember ``parsed`` (the chats of the latest response) instead of the last."""
        self._last = parsed

    def clear(self) -> None:
        self._last = {}


def fingerprint(obj: Any) -> bytes | None:
    """SHA-256 of the object's pickle: equal pickles mean equal keys, order, values
    *and types*.

    Unlike ``==`` (``True == 1 == 1.0``), so a value that changed type is
    validated again; and four times cheaper than the JSON text. The digest, not
    the pickle, is kept: the pickles of a listing are as big as its body (28 MB
    for 5,000 chats), held from one refresh to the next for nothing but lookups;
    SHA-256 keeps a server from making two objects meet. None when the object
    cannot be pickled (nesting too deep): it is then validated.
    """
    try:
        return hashlib.sha256(pickle.dumps(obj, protocol=4)).digest()
    except (RecursionError, pickle.PicklingError, TypeError, AttributeError, ValueError):
        return None
