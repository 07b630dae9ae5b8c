"""Chat views: what the window and the CLI show for one chat, and in what order.

A ``ChatView`` is the flattened, already-decided picture of a chat: whether it
is switched on, the sentence that says why not, the decrypted preview. The
window's models only ever hold these, so the GUI needs no business rules and
tests can build any list of them by hand. ``build_views`` (the lead's, next to
``sync.explain``) turns chats + states into views; this module owns the frozen
type, the sections and the order of UI.md.

No Qt here: the CLI sorts and prints the same views.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import NamedTuple

from .domain import Chat, ChatStatus, ChatSummary, ChatType, ProfileType, Reason
from .texts import format_phone, section_title


class SectionKind(IntEnum):
    """Kind of a list section; the value is the section's place in the list."""

    PINNED = 0  # Favorites, then the system chat "Командор"
    COMPANY = 1  # one per profileCompanyId, ordered by company name
    GROUPS = 2  # groups and channels
    NO_COMPANY = 3  # personal chats of people without an organisation; always last


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the chat list.

    ``key`` is stable across syncs and languages (the window remembers which
    sections are collapsed by it); ``title`` is what the header shows.
    """

    kind: SectionKind
    key: str
    title: str


@dataclass(frozen=True, slots=True)
class ChatView:
    """Everything the list, the profile panel and the CLI show for one chat."""

    id: str
    status: ChatStatus
    enabled: bool  # a conversation can be opened (a usable key on this device)
    reason: Reason | None  # why it is switched off; None when enabled
    reason_text: str  # the row's short line ("Ждём ключ"), "" when enabled
    tooltip: str  # the full sentence for the tooltip / accessible description
    name: str
    company: str | None
    company_id: str | None
    title: str | None  # the contact's job title
    phone: str | None
    photo: bytes | None  # image bytes as sent; None shows initials
    profile_type: ProfileType | None
    verified: bool
    chat_type: ChatType
    favorites: bool
    system: bool
    unread: int
    last_message: str | None  # decrypted preview, None when absent or unreadable
    last_message_time: int | None  # Unix milliseconds
    last_message_status: int | None  # MessageStatus value, or an unknown int
    section: Section
    # The still encrypted last message when the view was built without decrypting
    # it (the window's path): the window decrypts the rows it shows on demand.
    # None when ``last_message`` is final (decrypted, absent or unreadable).
    pending_message: bytes | None = None


#: Chat types with their own name and section (IntEnum: the stored 1 and 2 match too).
GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.CHANNEL})
PINNED_KEY = "pinned"
GROUPS_KEY = "groups"
NO_COMPANY_KEY = "no_company"


def section_of(chat: Chat | ChatSummary, lang: str = "ru") -> Section:
    """The section a chat belongs to (UI.md "Order"); see ``section_for``."""
    return section_for(chat.favorites or chat.profile_type is ProfileType.SYS,
                       chat.chat_type in GROUP_TYPES, chat.profile_company_id,
                       chat.profile_company, lang)


def section_for(pinned: bool, group: bool, company_id: str | None, company: str | None,
                lang: str = "ru") -> Section:
    """The section of a chat from the facts it depends on (positional: the list's hot path).

    Favorites and the system chat are pinned; groups and channels have their
    own section even when a company is set; personal chats go under their
    company (keyed by ``profileCompanyId``, titled by ``profileCompany``), or
    under "Без организации".
    """
    if pinned:
        return Section(SectionKind.PINNED, PINNED_KEY, section_title("pinned", lang))
    if group:
        return Section(SectionKind.GROUPS, GROUPS_KEY, section_title("groups", lang))
    if company_id:
        return Section(SectionKind.COMPANY, f"company:{company_id}", company or company_id)
    return Section(SectionKind.NO_COMPANY, NO_COMPANY_KEY, section_title("no_company", lang))


def section_sort_key(section: Section) -> tuple[int, str, str]:
    """Sections: pinned, companies by name (case-insensitive), groups, no company."""
    return (int(section.kind), section.title.casefold(), section.key)


def order_in_section(favorites: bool, system: bool, time: int | None, name: str,
                     chat_id: str) -> tuple[object, ...]:
    """A chat's place inside its section: pin rank, newest message, name, id.

    Inside the pinned section Favorites come first, then the system chat.
    Chats without a message sort after those with one; ties fall back to the
    case-insensitive name and finally the id, so the order is deterministic.
    """
    pin = 0 if favorites else 1 if system else 2
    return (pin, time is None, -(time or 0), name.casefold(), chat_id)


def view_sort_key(view: ChatView) -> tuple[object, ...]:
    """The total order of UI.md: section, then ``order_in_section``."""
    return (section_sort_key(view.section), *order_in_section(
        view.favorites, view.system, view.last_message_time, view.name, view.id))


class ListEntry(NamedTuple):
    """One chat as the list's structure needs it: its place, its filters, its source.

    The window keeps one entry per chat and builds the full ``ChatView`` only
    for the rows it paints (10,000 views cost more than the whole list's
    layout). Grouping, order, the unread counts and the search read the
    entry alone. ``source`` is what the view is built from: two entries with
    equal sources give equal views, so an unchanged chat keeps its built view
    across syncs.
    """

    id: str
    section: Section
    order: tuple[object, ...]  # ``order_in_section``
    unread: int
    readable: bool  # switched on: its unread messages count (``counts_as_unread``)
    name: str
    company: str | None
    title: str | None
    phone: str | None
    source: object


def entry_of_view(view: ChatView) -> ListEntry:
    """The entry of a ready view (tests, the demo, the CLI's eager list)."""
    order = order_in_section(view.favorites, view.system, view.last_message_time, view.name,
                             view.id)
    return ListEntry(view.id, view.section, order, view.unread, view.enabled, view.name,
                     view.company, view.title, view.phone, view)


def counts_as_unread(chat: ListEntry | ChatView) -> bool:
    """The one unread rule: a chat is unread when it is switched on and has unread > 0.

    A switched-off chat (``new``, ``wait``, a missing or refused key) cannot be
    read, so its server-side count is not shown as unread anywhere: not in the
    window's count, the tray, the section badges nor the "Unread" filter.
    """
    return chat.unread > 0 and (chat.readable if isinstance(chat, ListEntry) else chat.enabled)


def unread_of(chat: ListEntry | ChatView) -> int:
    """The unread messages a chat adds to a count (0 unless ``counts_as_unread``)."""
    return chat.unread if counts_as_unread(chat) else 0


def sort_views(views: Iterable[ChatView]) -> list[ChatView]:
    """The views in the window's order (see ``view_sort_key``)."""
    return sorted(views, key=view_sort_key)


def display_name(chat: Chat | ChatSummary, lang: str = "ru") -> str:
    """The name a row shows; see ``name_for``. Kept here so the window and the CLI agree."""
    return name_for(chat.favorites, chat.chat_type in GROUP_TYPES, chat.chat_name,
                    chat.profile_type is ProfileType.SYS, chat.profile_name, chat.profile_phone,
                    chat.id, lang)


def name_for(favorites: bool, group: bool, chat_name: str | None, system: bool,
             profile_name: str | None, phone: str | None, chat_id: str,
             lang: str = "ru") -> str:
    """The name of a chat from the facts it depends on (positional: the list's hot path).

    Favorites and groups have their own name, the system chat its profile's
    or "Командор", everyone else the profile's name, else the phone, else the id.
    A phone standing for a name (no name; or a new contact's placeholder
    profile, which the server names by the number) reads "+7 916 123-45-67".
    """
    if favorites:
        return section_title("favorites", lang)
    if group and chat_name:
        return chat_name
    if system:
        return profile_name or section_title("system", lang)
    return format_phone(profile_name or phone) or chat_id


class MessageSide(Enum):
    """Who wrote a chat's last message, as far as the chat's data tells."""

    OWN = "own"
    INCOMING = "incoming"
    UNKNOWN = "unknown"


def last_message_side(view: ChatView) -> MessageSide:
    """Who wrote the last message: the wire has no sender field, so it is inferred.

    Favorites hold only your own messages; the system chat only writes to
    you; a chat with unread messages ends with one of them (incoming). Else
    it is unknown. Ticks and the sent / delivered / read words go with own
    and unknown messages, never with incoming ones.
    """
    if view.last_message_time is None and view.last_message_status is None:
        return MessageSide.UNKNOWN
    if view.favorites:
        return MessageSide.OWN
    if view.system or view.unread > 0:
        return MessageSide.INCOMING
    return MessageSide.UNKNOWN
