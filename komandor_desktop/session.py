"""Wiring of the headless layers for one profile home (shared by the programs' roots).

A ``Reader`` is what the window's process needs of a profile: its store to
read and the keys to decrypt previews. A ``Session`` is the signed-in profile
with its store, its HTTP client and its sync engine: the headless commands
(``cli.py``) and the sync worker process (``worker/main.py``) sync through it.
This module is the part of the wiring they share, kept in one place so that the
window, the worker and the headless commands cannot drift apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from .api import ApiClient, RetryPolicy
from .domain import Chat, Identity
from .identity import Profile
from .store import Store
from .store.listing import list_rows, read_summary
from .sync import ChatListing, SyncEngine, SyncEvent, build_view, build_views, list_entries
from .sync.inspect import inspect_chat
from .sync.keyring import KeyRing
from .sync.planner import own_certificate
from .views import ChatView

STORE_FILE = "store.sqlite3"


def list_chats(store: Store, identity: Identity, lang: str = "ru") -> ChatListing:
    """The window's list of a store: brief rows and states now, each view on demand."""
    return list_entries(list_rows(store), store.states(), identity=identity, lang=lang,
                        summary=lambda chat_id: read_summary(store, chat_id))


class Reader:
    """What the window's process needs of a profile: the store to read and keys to decrypt.

    The window does not sync (its worker process does, ``worker/main.py``):
    it reads the store the worker writes (SQLite WAL lets a reader and a
    writer in two processes work at once) and checks and imports received
    chat keys itself, in memory, for the previews and the inspector.

    Args:
        home: the profile's home directory.
        profile: the loaded ``identity.Profile``.
    """

    def __init__(self, home: Path, profile: Profile) -> None:
        self.home = home
        self.profile = profile
        self.store = Store(home / STORE_FILE)
        self._keyring: KeyRing | None = None

    @property
    def keyring(self) -> KeyRing:
        """This process's checked chat keys (made on first use)."""
        if self._keyring is None:
            ident = self.profile.identity
            self._keyring = KeyRing(pid=ident.pid, cid=ident.cid,
                                    private_key=self.profile.private_key,
                                    own_certificates=[own_certificate(ident)],
                                    trust_anchor=self.profile.trust_anchor)
        return self._keyring

    def decrypt(self, chat: Chat) -> str | None:
        """The decrypted last message of a usable chat, in memory only."""
        return self.keyring.decrypt_last_message(chat)

    def views(self, lang: str = "ru") -> list[ChatView]:
        """Every stored chat as ``chats --json`` shows it, previews decrypted."""
        return build_views(self.store.chats(), self.store.states(),
                           identity=self.profile.identity, decrypt=self.decrypt, lang=lang)

    def list_views(self, lang: str = "ru") -> ChatListing:
        """Every stored chat as the window's list shows it: entries now, views on demand.

        The light read (no certificates, no key checks, no view built): the
        window builds the views of the rows it paints and asks ``preview``
        for their last messages. As a sequence it gives the same views as
        ``views`` with the previews pending.
        """
        return list_chats(self.store, self.profile.identity, lang)

    def preview(self, chat_id: str) -> str | None:
        """The decrypted last message of one chat as stored now (None: none, or unreadable)."""
        chat = self.store.chat(chat_id)
        return None if chat is None else self.decrypt(chat)

    def inspector_data(self, chat_id: str, lang: str = "ru") -> dict[str, Any]:
        """Everything the inspector shows for one chat (empty when it is gone)."""
        chat = self.store.chat(chat_id)
        if chat is None:
            return {"chat_id": chat_id}
        state = self.store.states().get(chat_id)
        view = build_view(chat, state, identity=self.profile.identity, decrypt=self.decrypt,
                          lang=lang)
        return inspect_chat(chat, view, state, raw=self.store.raw_json(chat_id),
                            outbox=self.store.outbox_get(chat_id),
                            identity=self.profile.identity,
                            trust_anchor=self.profile.trust_anchor,
                            keyring=self.keyring, lang=lang)

    async def aclose(self) -> None:
        """Close the store."""
        self.store.close()


class Session(Reader):
    """A signed-in profile: store, client and engine over one home directory.

    Args:
        home: the profile's home directory.
        profile: the loaded ``identity.Profile``.
        transport: an httpx transport to use instead of the network (tests,
            the in-process demo emulator).
        listener: receives the engine's ``SyncEvent``s.
        retry: the HTTP retry policy (tests make it instant).
    """

    def __init__(self, home: Path, profile: Profile, *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 listener: Callable[[SyncEvent], None] | None = None,
                 retry: RetryPolicy | None = None) -> None:
        super().__init__(home, profile)
        self.client = ApiClient(profile.identity.server_url, transport=transport,
                                token=profile.token, reauth=profile.reauth,
                                on_retry=self._on_retry, retry=retry or RetryPolicy())
        self.engine = SyncEngine(self.client, self.store, profile, listener=listener)

    @classmethod
    def open(cls, home: Path, passphrase: str, **kwargs: Any) -> Session:
        """Load the profile of ``home`` (raises NotSignedIn, IdentityError)."""
        return cls(home, Profile.load(home, passphrase), **kwargs)

    @property
    def keyring(self) -> KeyRing:
        """The engine's keys: what a sync checked is not checked again here."""
        return self.engine.keyring

    def _on_retry(self, message: str, delay: float) -> None:
        self.engine.on_retry(message, delay)

    async def aclose(self) -> None:
        """Close the HTTP client, stop the crypto worker processes, close the store."""
        await self.client.aclose()
        await asyncio.to_thread(self.engine.close)
        self.store.close()
