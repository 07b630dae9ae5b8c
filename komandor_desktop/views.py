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
from enum import IntEnum

from .domain import Chat, ChatStatus, ChatSummary, ChatType, ProfileType, Reason
from .texts import section_title


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


PINNED_KEY = "pinned"
GROUPS_KEY = "groups"
NO_COMPANY_KEY = "no_company"


def section_of(chat: Chat | ChatSummary, lang: str = "ru") -> Section:
    """The section a chat belongs to (UI.md "Order").

    Favorites and the system chat are pinned; groups and channels have their
    own section even when a company is set; personal chats go under their
    company (keyed by ``profileCompanyId``, titled by ``profileCompany``), or
    under "Без организации".
    """
    if chat.favorites or chat.profile_type is ProfileType.SYS:
        return Section(SectionKind.PINNED, PINNED_KEY, section_title("pinned", lang))
    if chat.chat_type in (ChatType.GROUP, ChatType.CHANNEL):
        return Section(SectionKind.GROUPS, GROUPS_KEY, section_title("groups", lang))
    if chat.profile_company_id:
        title = chat.profile_company or chat.profile_company_id
        return Section(SectionKind.COMPANY, f"company:{chat.profile_company_id}", title)
    return Section(SectionKind.NO_COMPANY, NO_COMPANY_KEY, section_title("no_company", lang))


def section_sort_key(section: Section) -> tuple[int, str, str]:
    """Sections: pinned, companies by name (case-insensitive), groups, no company."""
    return (int(section.kind), section.title.casefold(), section.key)


def _pin_rank(view: ChatView) -> int:
    """Inside the pinned section Favorites come first, then the system chat."""
    if view.favorites:
        return 0
    if view.system:
        return 1
    return 2


def view_sort_key(view: ChatView) -> tuple[object, ...]:
    """The total order of UI.md: section, pin rank, newest message, name, id.

    Chats without a message sort after those with one; ties fall back to the
    case-insensitive name and finally the id, so the order is deterministic.
    """
    time = view.last_message_time
    return (
        section_sort_key(view.section),
        _pin_rank(view),
        time is None,
        -(time or 0),
        view.name.casefold(),
        view.id,
    )


def sort_views(views: Iterable[ChatView]) -> list[ChatView]:
    """The views in the window's order (see ``view_sort_key``)."""
    return sorted(views, key=view_sort_key)


def display_name(chat: Chat | ChatSummary, lang: str = "ru") -> str:
    """The name a row shows: Favorites and groups have their own, else the profile's.

    Kept here so ``build_views`` and the CLI agree on it.
    """
    if chat.favorites:
        return section_title("favorites", lang)
    if chat.chat_type in (ChatType.GROUP, ChatType.CHANNEL) and chat.chat_name:
        return chat.chat_name
    if chat.profile_type is ProfileType.SYS:
        return chat.profile_name or section_title("system", lang)
    return chat.profile_name or chat.profile_phone or chat.id
