"""Whether a chat can be read and written, and why not (for CLI and window).

Decided from the chat as stored plus the engine's last verdict
(``ChatState``); a chat never synced on this device still gets an answer from
its status alone. Both a full ``Chat`` and the list's light ``ChatSummary``
can be explained: the answer needs no certificate and no key material.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, overload

from ..bulk import paused_gc
from ..domain import (
    CertReason,
    Chat,
    ChatState,
    ChatStatus,
    ChatSummary,
    Identity,
    ProfileType,
    Reason,
)
from ..texts import reason_texts
from ..views import (
    GROUP_TYPES,
    ChatView,
    ListEntry,
    Section,
    display_name,
    name_for,
    order_in_section,
    section_for,
    section_of,
    section_sort_key,
    sort_views,
)
from .states import ERROR_REASONS

_KEY_ERRORS = frozenset({Reason.KEY_SIGNATURE_INVALID, Reason.KEY_NOT_IMPORTABLE})
# Members bound once: on Python 3.11 ``Reason.X`` goes through a descriptor each
# time, and ``explain`` runs for every one of 10,000 chats per list build.
_SYNC, _NEW = ChatStatus.SYNC, ChatStatus.NEW
_INVALID_CHAT, _KEY_MISSING = Reason.INVALID_CHAT, Reason.KEY_MISSING
_CONTACT_NOT_REGISTERED, _CREATING_KEYS = Reason.CONTACT_NOT_REGISTERED, Reason.CREATING_KEYS
_EXPORTING_KEY, _WAITING_FOR_KEY = Reason.EXPORTING_KEY, Reason.WAITING_FOR_KEY
_SYS = ProfileType.SYS  # == the raw stored 0
_SYNC_VALUE = ChatStatus.SYNC.value  # the stored status column


AnyChat = Chat | ChatSummary


def _key_facts(chat: AnyChat) -> tuple[bool, bool, tuple[str, ...]]:
    """(has a key, has member certificates, cids of the wait list) of either form."""
    if isinstance(chat, ChatSummary):
        return chat.key_id is not None, chat.has_members, chat.wait_cids
    return (chat.chat_key is not None, bool(chat.certificates),
            tuple(c.cid for c in chat.wait_list))


def explain(chat: AnyChat, state: ChatState | None, *,
            identity: Identity) -> tuple[bool, Reason | None, str | None]:
    """(enabled, reason, detail) of one chat.

    A ``sync`` chat is enabled unless its key is missing or failed its checks;
    ``new`` and ``wait`` chats are always switched off (section 6), with the
    engine's error reason when it has one, else the waiting reason.
    """
    reason = state.reason if state is not None else None
    detail = state.detail if state is not None else None
    has_key, has_members, wait_cids = _key_facts(chat)
    if reason is _INVALID_CHAT:
        return False, reason, detail
    status = chat.status
    if status is _SYNC:
        if not has_key:
            return False, _KEY_MISSING, None
        if reason in _KEY_ERRORS:
            return False, reason, detail
        return True, None, None
    if reason in ERROR_REASONS:
        return False, reason, detail
    if status is _NEW:
        if not has_members and not chat.favorites:
            return False, _CONTACT_NOT_REGISTERED, None
        return False, _CREATING_KEYS, None
    if has_key and any(cid != identity.cid for cid in wait_cids):
        return False, _EXPORTING_KEY, None
    return False, _WAITING_FOR_KEY, None


def _cert_reason(detail: str | None) -> CertReason | str | None:
    """The first ``cid:reason`` of a CERTIFICATE_REJECTED detail, as a CertReason."""
    if not detail:
        return None
    first = detail.split(",")[0].rpartition(":")[2]
    try:
        return CertReason(first)
    except ValueError:
        return first


def _preview(chat: AnyChat, enabled: bool,
             decrypt: Callable[[Chat], str | None] | None) -> tuple[str | None, bytes | None]:
    """(decrypted preview, ciphertext left to decrypt on demand) of one chat.

    Only a full ``Chat`` can be decrypted here (the key checks read its
    certificates); a summary, or a build without ``decrypt``, leaves the
    preview pending: the window decrypts the rows it shows (``Session.preview``).
    """
    if not enabled:
        return None, None
    if decrypt is not None and isinstance(chat, Chat):
        return decrypt(chat), None
    return None, chat.last_message_text


def build_view(chat: AnyChat, state: ChatState | None, *, identity: Identity,
               decrypt: Callable[[Chat], str | None] | None = None,
               lang: str = "ru") -> ChatView:
    """One chat as the list and the CLI show it (see ``_preview`` for the last message)."""
    enabled, reason, detail = explain(chat, state, identity=identity)
    message, pending = _preview(chat, enabled, decrypt)
    name = display_name(chat, lang)
    line = tip = ""
    if reason is not None:
        line, tip = reason_texts(reason, lang, name=name, cert_reason=_cert_reason(detail)
                                 if reason is Reason.CERTIFICATE_REJECTED else None,
                                 message=detail or "")
    return ChatView(
        id=chat.id, status=chat.status, enabled=enabled, reason=reason, reason_text=line,
        tooltip=tip, name=name, company=chat.profile_company, company_id=chat.profile_company_id,
        title=chat.profile_title, phone=chat.profile_phone, photo=chat.profile_photo,
        profile_type=chat.profile_type, verified=chat.profile_verified, chat_type=chat.chat_type,
        favorites=chat.favorites, system=chat.is_system, unread=chat.unread,
        last_message=message, last_message_time=chat.last_message_time,
        last_message_status=chat.last_message_status, section=section_of(chat, lang),
        pending_message=pending,
    )


def build_views(chats: Iterable[AnyChat], states: Mapping[str, ChatState], *,
                identity: Identity, decrypt: Callable[[Chat], str | None] | None = None,
                lang: str = "ru") -> list[ChatView]:
    """Every chat as a view, in the window's order (UI.md "Order").

    The window passes ``ChatSummary`` values and no ``decrypt``: no key check
    runs on that path and previews stay pending; the CLI passes full chats and
    ``decrypt`` and gets every preview.
    """
    return sort_views(build_view(c, states.get(c.id), identity=identity, decrypt=decrypt,
                                 lang=lang) for c in chats)


class ChatListing(Sequence[ChatView]):
    """The window's list: one light ``ListEntry`` per chat, views built on demand.

    Made in bulk from the store's brief rows (``list_entries``); a view is
    built (``build_view`` over the chat's summary, previews pending) only
    when asked for, so the window pays for the rows it paints, not for
    10,000. As a sequence it is the views in list order (each built when read).
    """

    def __init__(self, entries: list[ListEntry], *, identity: Identity,
                 summary: Callable[[str], ChatSummary | None],
                 states: Mapping[str, ChatState], lang: str) -> None:
        self.entries = entries
        self._identity = identity
        self._summary = summary
        self._states = states
        self._lang = lang

    def build(self, entry: ListEntry) -> ChatView | None:
        """The view of one entry (None when the chat is gone from the store meanwhile).

        The chat is read when the view is built: if it changed since the
        listing, the view shows the newer state (the next listing's entry
        differs, so the model builds it again then).
        """
        summary = self._summary(entry.id)
        if summary is None:
            return None
        return build_view(summary, self._states.get(entry.id), identity=self._identity,
                          lang=self._lang)

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, index: int) -> ChatView: ...
    @overload
    def __getitem__(self, index: slice) -> list[ChatView]: ...

    def __getitem__(self, index: int | slice) -> ChatView | list[ChatView]:
        if isinstance(index, slice):
            return [self._built(e) for e in self.entries[index]]
        return self._built(self.entries[index])

    def _built(self, entry: ListEntry) -> ChatView:
        view = self.build(entry)
        if view is None:
            raise LookupError(f"chat {entry.id} is no longer stored")
        return view


def list_entries(rows: Iterable[tuple[Any, ...]], states: Mapping[str, ChatState], *,
                 identity: Identity, summary: Callable[[str], ChatSummary | None],
                 lang: str = "ru") -> ChatListing:
    """Every chat as a ``ListEntry``, in the window's order, without building views.

    ``rows`` are the store's brief rows, values in ``store.listing.LIST_COLUMNS``
    order; ``summary`` reads one chat's ``ChatSummary`` when its view is
    built. Per chat only what grouping, order, unread counts and the search
    need: the section, the display name and the order key. An entry's source
    is (content hash, state reason, state detail, lang): it changes exactly
    when the chat's view may. Entries of two listings compare in C: the
    source holds no dataclass, and a section is one shared object across
    listings (``_SECTIONS``), so an unchanged field is the same object.
    """
    entries: list[ListEntry] = []
    with paused_gc():
        used = _add_entries(entries, rows, states, lang)
        keys = {id(section): section_sort_key(section) for section in used}
        entries.sort(key=lambda e: (keys[id(e.section)], e.order))
    return ChatListing(entries, identity=identity, summary=summary, states=states, lang=lang)


#: Every section met so far, by what decides it and the language: shared by all
#: listings (a handful of companies; bounded by the data, like the list itself).
_SECTIONS: dict[tuple[object, ...], Section] = {}


def _add_entries(entries: list[ListEntry], rows: Iterable[tuple[Any, ...]],
                 states: Mapping[str, ChatState], lang: str) -> list[Section]:
    """The loop of ``list_entries``: positional calls and tuples only (10,000 rows).

    Returns the sections used.
    """
    sections = _SECTIONS
    used: dict[int, Section] = {}
    get_state, new_entry, append = states.get, ListEntry._make, entries.append
    for (chat_id, favorites, profile_type, chat_type, company_id, company, profile_name,
         chat_name, phone, title, time, unread, content, status, key_id) in rows:
        system = profile_type == _SYS
        group = chat_type in GROUP_TYPES
        name = name_for(favorites, group, chat_name, system, profile_name, phone, chat_id, lang)
        key = (bool(favorites or system), group, company_id, company, lang)
        section = sections.get(key)
        if section is None:
            section = sections[key] = section_for(key[0], group, company_id, company, lang)
        used[id(section)] = section
        state = get_state(chat_id)
        reason = None if state is None else state.reason
        fingerprint = ((content, None, None, lang) if state is None
                       else (content, reason, state.detail, lang))
        readable = (status == _SYNC_VALUE and key_id is not None and reason not in _KEY_ERRORS
                    and reason is not _INVALID_CHAT)  # ``explain``'s enabled, from the row
        append(new_entry((chat_id, section, order_in_section(favorites, system, time, name,
                                                             chat_id),
                          unread, readable, name, company, title, phone, fingerprint)))
    return list(used.values())
