"""The flat chat model and the list's filter.

One ``ChatListModel`` holds every chat in arrival order; sorting, grouping
and filtering are the section model's job, with the criteria of a
``ChatFilter`` (Nheko's RoomlistModel + FilteredRoomlistModel split).
``update`` applies a new list in place — changed rows get ``dataChanged``,
vanished rows are removed, new ones appended — so the selection and the
scroll position of the view above survive every sync.

Previews: the window's views come without decrypted last messages
(``ChatView.pending_message``); when a row asks for one (``ChatRole.View``,
the accessible description) ``previews.PreviewCache`` decrypts it in the
background and the rows are repainted when it is there, so only the rows on
screen cost a key check and ``data()`` itself never decrypts. Structure
(filtering, sorting, grouping) reads the rows' ``ListEntry``, which never
builds a view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from ..sync.status import ChatListing
from ..texts import wrap_tooltip
from ..views import ChatView, ListEntry, counts_as_unread, entry_of_view, unread_of
from .previews import PreviewCache, Previews

AnyIndex = QModelIndex | QPersistentModelIndex



class ChatRole(IntEnum):
    """Item data roles of the chat models (the section model adds its own)."""

    View = Qt.ItemDataRole.UserRole + 1  # the ChatView itself
    Id = Qt.ItemDataRole.UserRole + 2
    SectionKey = Qt.ItemDataRole.UserRole + 3
    Enabled = Qt.ItemDataRole.UserRole + 4  # False for a switched-off chat
    Unread = Qt.ItemDataRole.UserRole + 5
    ReasonText = Qt.ItemDataRole.UserRole + 6
    IsSection = Qt.ItemDataRole.UserRole + 7  # True on section header rows
    Section = Qt.ItemDataRole.UserRole + 8  # the views.Section of a header
    SectionCount = Qt.ItemDataRole.UserRole + 9  # chats shown under a header
    SectionUnread = Qt.ItemDataRole.UserRole + 10  # unread sum under a header
    RawView = Qt.ItemDataRole.UserRole + 11  # the ChatView as built: preview maybe pending


#: Roles whose value shows the last message: these decrypt a pending preview.
PREVIEW_ROLES = frozenset({int(ChatRole.View), int(Qt.ItemDataRole.AccessibleDescriptionRole)})


def second_line(view: ChatView) -> str:
    """What a row says under the name: the state, the preview, or title · company.

    Nothing while the preview is still being decrypted (``previews.py``), so
    that the line does not show the title first and the message a moment later.
    """
    if not view.enabled:
        return view.reason_text
    if view.pending_message is not None:
        return ""
    if view.last_message:
        return view.last_message
    return " · ".join(part for part in (view.title, view.company) if part)


def accessible_description(view: ChatView) -> str:
    """The sentence a screen reader gives for a row (the tooltip for switched-off ones)."""
    if not view.enabled:
        return ". ".join(p.rstrip(".…") for p in (view.reason_text, view.tooltip) if p) + "."
    parts = [second_line(view)]
    if view.unread:
        parts.append(str(view.unread))
    return ", ".join(p for p in parts if p)


def view_data(view: ChatView, role: int) -> Any:
    """One role of one ChatView; shared by the flat and the section model."""
    if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.AccessibleTextRole:
        return view.name
    if role == Qt.ItemDataRole.ToolTipRole:  # asked on hover only: wrapping here is cheap
        return wrap_tooltip(view.tooltip) if view.tooltip else None
    if role == Qt.ItemDataRole.AccessibleDescriptionRole:
        return accessible_description(view)
    getter = _CHAT_GETTERS.get(role)
    return None if getter is None else getter(view)


_CHAT_GETTERS: dict[int, Callable[[ChatView], Any]] = {
    ChatRole.View: lambda v: v,
    ChatRole.RawView: lambda v: v,
    ChatRole.Id: lambda v: v.id,
    ChatRole.SectionKey: lambda v: v.section.key,
    ChatRole.Enabled: lambda v: v.enabled,
    ChatRole.Unread: lambda v: v.unread,
    ChatRole.ReasonText: lambda v: v.reason_text,
    ChatRole.IsSection: lambda v: False,
    ChatRole.Section: lambda v: v.section,
}

#: Every chat row, switched off or not, can be selected: the profile panel and
#: the inspector work on all of them (UI.md). Opening is refused elsewhere.
CHAT_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)


class ChatListModel(QAbstractListModel):
    """Every chat as one flat list; the single source of the list's entries and views.

    Rows hold a ``ListEntry`` each (place, filters, source); the ``ChatView``
    of a row is built the first time something asks for it and kept until
    the row's entry changes. ``update`` takes either ready views (tests, the
    demo) or a ``ChatListing`` (the window: 10,000 entries, views on demand).
    """

    def __init__(self, views: Iterable[ChatView] = (), parent: Any = None, *,
                 previews: Previews | None = None) -> None:
        super().__init__(parent)
        self.previews = PreviewCache(previews, self)
        self._entries: list[ListEntry] = []
        self._rows: dict[str, int] = {}
        self._built: dict[str, ChatView] = {}  # chat id -> view as built (previews pending)
        self._build: Callable[[ListEntry], ChatView | None] = _view_of_entry
        self.update(list(views))

    # -- read ---------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # cheap checks instead of checkIndex(): the proxies ask for every row's data
        if not index.isValid() or index.model() is not self or index.row() >= len(self._entries):
            return None
        view = self._view_of(self._entries[index.row()])
        if view is None:
            return None
        return view_data(self.previews.lookup(view) if role in PREVIEW_ROLES else view, role)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return CHAT_FLAGS

    def roleNames(self) -> dict[int, QByteArray]:
        names = super().roleNames()
        for role in ChatRole:
            names[int(role)] = QByteArray((role.name[0].lower() + role.name[1:]).encode())
        return names

    def entries(self) -> list[ListEntry]:
        """Every row's entry in row order (the section tree reads them in bulk)."""
        return list(self._entries)

    def views(self) -> list[ChatView]:
        """Every row's view as built, in row order (builds the ones not built yet).

        Chats gone from the store since the last update are left out.
        """
        return [v for v in map(self._view_of, self._entries) if v is not None]

    def built_view(self, chat_id: str) -> ChatView | None:
        """The view of one chat as built (preview maybe pending), or None."""
        row = self._rows.get(chat_id)
        return None if row is None else self._view_of(self._entries[row])

    def view(self, chat_id: str) -> ChatView | None:
        """The view of one chat with its preview decrypted, or None."""
        view = self.built_view(chat_id)
        return None if view is None else self.previews.resolve(view)

    def total_unread(self) -> int:
        """Unread messages over every chat that counts (``views.counts_as_unread``)."""
        return sum(map(unread_of, self._entries))

    def known_preview(self, entry: ListEntry) -> str | None:
        """The last message of a chat as far as it is known without decrypting anything.

        A ready view's own text, or a preview ``PreviewCache`` decrypted for a
        row that was shown: the search matches these and never decrypts.
        """
        source = entry.source
        if isinstance(source, ChatView) and source.pending_message is None:
            return source.last_message
        return self.previews.known(entry.id)

    def index_of(self, chat_id: str) -> QModelIndex:
        """The index of one chat, invalid when absent."""
        row = self._rows.get(chat_id)
        return QModelIndex() if row is None else self.index(row, 0)

    def _view_of(self, entry: ListEntry) -> ChatView | None:
        view = self._built.get(entry.id)
        if view is None:
            view = self._build(entry)
            if view is not None:
                self._built[entry.id] = view
        return view

    # -- write --------------------------------------------------------------

    def update(self, views: Sequence[ChatView]) -> None:
        """Apply a new list in place with the fewest signals.

        ``views`` is a list of ready views or a ``ChatListing``. Rows whose
        chat vanished are removed (contiguous runs in one signal), the rows
        whose entry changed get one ``dataChanged`` over their span, new
        chats are appended. Row order is arrival order; the section model sorts.
        """
        if isinstance(views, ChatListing):
            entries, build = views.entries, views.build
        else:
            entries, build = [entry_of_view(v) for v in views], _view_of_entry
        incoming = {e.id: e for e in entries}
        if len(incoming) != len(entries):
            raise ValueError("duplicate chat ids in views")
        self._build = build
        self._remove_missing(incoming)
        changed = []
        for row, old in enumerate(self._entries):
            new = incoming[old.id]
            if new != old:
                self._entries[row] = new
                self._built.pop(old.id, None)
                changed.append(row)
        self.previews.prune({cid: view for cid, view in self._built.items()
                             if cid in incoming})
        if changed:  # one signal for the span: each one makes the section model re-sort
            self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], 0), [])
        fresh = [e for e in entries if e.id not in self._rows]
        if fresh:
            first = len(self._entries)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._entries.extend(fresh)
            self._reindex()
            self.endInsertRows()

    def _remove_missing(self, incoming: dict[str, ListEntry]) -> None:
        """Remove the rows of chats absent from ``incoming``, bottom run first."""
        gone = [row for row, e in enumerate(self._entries) if e.id not in incoming]
        while gone:
            last = gone.pop()
            first = last
            while gone and gone[-1] == first - 1:
                first = gone.pop()
            self.beginRemoveRows(QModelIndex(), first, last)
            for e in self._entries[first : last + 1]:
                self._built.pop(e.id, None)
            del self._entries[first : last + 1]
            self._reindex()
            self.endRemoveRows()

    def _reindex(self) -> None:
        self._rows = {e.id: row for row, e in enumerate(self._entries)}


def _view_of_entry(entry: ListEntry) -> ChatView:
    """The view an entry of ready views carries (``entry_of_view``)."""
    assert isinstance(entry.source, ChatView), "an entry of a listing needs its listing's build"
    return entry.source


class ChatFilter(QObject):
    """Search text and the unread-only switch; the section tree applies them.

    The search matches name, company, job title, phone and the last message
    where it is decrypted already (``ChatListModel.known_preview``: the rows
    shown so far; the search itself decrypts nothing), case-insensitively;
    digits typed in any format ("+7 916 …") also match the stored phone.
    Works on anything with those fields (``ListEntry``, ``ChatView``), in
    Python over the whole list: no per-row Qt call (a filter proxy asked
    10,000 rows one call each on every change).

    Signals:
        changed(): the criteria changed.
    """

    changed = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._needle = ""
        self._digits = ""
        self._unread_only = False

    @property
    def search_text(self) -> str:
        return self._needle

    @property
    def unread_only(self) -> bool:
        return self._unread_only

    def set_search(self, text: str) -> None:
        """Filter by a search string; "" shows everything."""
        needle = text.strip().casefold()
        if needle == self._needle:
            return
        self._needle = needle
        digits = "".join(ch for ch in needle if ch.isdigit())
        self._digits = digits if len(digits) >= 3 else ""
        self.changed.emit()

    def set_unread_only(self, on: bool) -> None:
        """Show only unread chats (``views.counts_as_unread``: switched on, unread > 0)."""
        if on == self._unread_only:
            return
        self._unread_only = on
        self.changed.emit()

    @property
    def filtering(self) -> bool:
        return bool(self._needle) or self._unread_only

    def accepts(self, row: ListEntry | ChatView, preview: str | None = None) -> bool:
        """Whether a chat passes the search and the unread switch.

        ``preview`` is the chat's last message where it is known (decrypted):
        the search matches it too.
        """
        if self._unread_only and not counts_as_unread(row):
            return False
        return not self._needle or self._matches(row, preview)

    def _matches(self, row: ListEntry | ChatView, preview: str | None) -> bool:
        fields = (row.name, row.company, row.title, row.phone, preview)
        if any(f and self._needle in f.casefold() for f in fields):
            return True
        if self._digits and row.phone:
            phone = "".join(ch for ch in row.phone if ch.isdigit())
            alt = "7" + self._digits[1:] if self._digits.startswith("8") else self._digits
            return self._digits in phone or alt in phone
        return False
