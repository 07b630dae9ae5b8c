"""The flat chat model and its filter proxy.

One ``ChatListModel`` holds every ``ChatView`` in arrival order; sorting and
grouping are the section model's job, filtering is ``ChatFilterProxy``'s
(Nheko's RoomlistModel + FilteredRoomlistModel split). ``update`` applies a
new list in place — changed rows get ``dataChanged``, vanished rows are
removed, new ones appended — so persistent indexes, hence the selection and
the scroll position of the views above, survive every sync.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from ..views import ChatView

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


def second_line(view: ChatView) -> str:
    """What a row says under the name: the state, the preview, or title · company."""
    if not view.enabled:
        return view.reason_text
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
    if role == Qt.ItemDataRole.ToolTipRole:
        return view.tooltip or None
    if role == Qt.ItemDataRole.AccessibleDescriptionRole:
        return accessible_description(view)
    getter = _CHAT_GETTERS.get(role)
    return None if getter is None else getter(view)


_CHAT_GETTERS: dict[int, Callable[[ChatView], Any]] = {
    ChatRole.View: lambda v: v,
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
    """Every chat as one flat list of ``ChatView``; the single source of the views."""

    def __init__(self, views: Iterable[ChatView] = (), parent: Any = None) -> None:
        super().__init__(parent)
        self._views: list[ChatView] = []
        self._rows: dict[str, int] = {}
        self.update(list(views))

    # -- read ---------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._views)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.checkIndex(index, self.CheckIndexOption.IndexIsValid):
            return None
        return view_data(self._views[index.row()], role)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return CHAT_FLAGS

    def roleNames(self) -> dict[int, QByteArray]:
        names = super().roleNames()
        for role in ChatRole:
            names[int(role)] = QByteArray((role.name[0].lower() + role.name[1:]).encode())
        return names

    def views(self) -> list[ChatView]:
        """The current views in model order (a copy)."""
        return list(self._views)

    def view(self, chat_id: str) -> ChatView | None:
        """The view of one chat, or None."""
        row = self._rows.get(chat_id)
        return None if row is None else self._views[row]

    def index_of(self, chat_id: str) -> QModelIndex:
        """The index of one chat, invalid when absent."""
        row = self._rows.get(chat_id)
        return QModelIndex() if row is None else self.index(row, 0)

    # -- write --------------------------------------------------------------

    def update(self, views: Sequence[ChatView]) -> None:
        """Apply a new list of views in place with the fewest signals.

        Rows whose chat vanished are removed (contiguous runs in one signal),
        the rows whose view changed get one ``dataChanged`` over their span,
        new chats are appended.
        Row order is arrival order; the section model sorts.
        """
        incoming = {v.id: v for v in views}
        if len(incoming) != len(views):
            raise ValueError("duplicate chat ids in views")
        self._remove_missing(incoming)
        changed = []
        for row, old in enumerate(self._views):
            new = incoming[old.id]
            if new != old:
                self._views[row] = new
                changed.append(row)
        if changed:  # one signal for the span: each one makes the section model re-sort
            self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], 0), [])
        fresh = [v for v in views if v.id not in self._rows]
        if fresh:
            first = len(self._views)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._views.extend(fresh)
            self._reindex()
            self.endInsertRows()

    def _remove_missing(self, incoming: dict[str, ChatView]) -> None:
        """Remove the rows of chats absent from ``incoming``, bottom run first."""
        gone = [row for row, v in enumerate(self._views) if v.id not in incoming]
        while gone:
            last = gone.pop()
            first = last
            while gone and gone[-1] == first - 1:
                first = gone.pop()
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._views[first : last + 1]
            self._reindex()
            self.endRemoveRows()

    def _reindex(self) -> None:
        self._rows = {v.id: row for row, v in enumerate(self._views)}


class ChatFilterProxy(QSortFilterProxyModel):
    """Search text and the unread-only switch over the flat model.

    The search matches name, company, job title and phone, case-insensitively;
    digits typed in any format ("+7 916 …") also match the stored phone.
    """

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
        self.beginFilterChange()
        self._needle = needle
        digits = "".join(ch for ch in needle if ch.isdigit())
        self._digits = digits if len(digits) >= 3 else ""
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_unread_only(self, on: bool) -> None:
        """Show only chats with unread messages."""
        if on == self._unread_only:
            return
        self.beginFilterChange()
        self._unread_only = on
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        view = self.sourceModel().index(source_row, 0, source_parent).data(ChatRole.View)
        if not isinstance(view, ChatView):
            return False
        if self._unread_only and view.unread <= 0:
            return False
        return not self._needle or self._matches(view)

    def _matches(self, view: ChatView) -> bool:
        fields = (view.name, view.company, view.title, view.phone)
        if any(f and self._needle in f.casefold() for f in fields):
            return True
        if self._digits and view.phone:
            phone = "".join(ch for ch in view.phone if ch.isdigit())
            alt = "7" + self._digits[1:] if self._digits.startswith("8") else self._digits
            return self._digits in phone or alt in phone
        return False
