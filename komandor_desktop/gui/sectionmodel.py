"""The section tree: the flat chat model filtered, grouped and sorted for the list.

Top-level rows are the sections of UI.md (pinned, one per company, groups, no
organisation), their children the chats in the order of ``views.view_sort_key``.

The tree's structure lives in a ``QStandardItemModel``: one header item per
section, and under it as many (empty) rows as it shows chats. The tree view
lays out every row of its model at each layout; over a Python
``QAbstractItemModel`` that meant several Python calls per row (index,
parent, rowCount, flags) — measured, 2.5 times the cost of the whole layout
over C++ rows. Here the layout never leaves C++; Python answers ``data()``
for the rows being painted only, from the section's list of chat ids, and
the flat model builds their views on demand. ``flags()`` is not overridden
either: chat rows have the C++ defaults for rows without an item (enabled,
selectable; the chat tree turns editing off), headers their item's.

Whenever the source model or the filter changes, the tree computes the
target layout from the flat model's entries and walks its rows towards it:
removals in contiguous runs, a section's new chats in one insert, a
re-sorted section in one layout change that carries the persistent indexes
along (selection, current item and folding stay on their chats).

Python's side (the sections and their chat ids) changes at the exact moment
Qt's does: a structural change is staged, then applied by the first slot
on ``rowsInserted`` / ``rowsRemoved``, so every other listener (the view,
the model tester) sees the old state before the change and the new after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from ..bulk import paused_gc
from ..views import ChatView, ListEntry, Section, section_sort_key, unread_of
from .chatmodel import PREVIEW_ROLES, AnyIndex, ChatFilter, ChatListModel, ChatRole, view_data

_HEADER_FLAGS = Qt.ItemFlag.ItemIsEnabled  # headers fold, they are not selected
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)


def _address(item: QStandardItem) -> int:
    """The C++ address of an item: the ``internalId()`` of its children's indexes."""
    return int(shiboken6.getCppPointer(item)[0])


@dataclass(eq=False)
class _Node:
    """One shown section: its header item, its chats in row order, the header's numbers."""

    section: Section
    item: QStandardItem
    address: int
    ids: list[str] = field(default_factory=list)
    count: int = 0
    unread: int = 0


class SectionTreeModel(QStandardItemModel):
    """Sections with their chats, built from a ``ChatListModel`` and a ``ChatFilter``."""

    def __init__(self, source: ChatListModel, chat_filter: ChatFilter | None = None,
                 parent: Any = None, *,
                 resolve: Callable[[ChatView], ChatView] | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._filter = chat_filter or ChatFilter(self)
        self._resolve = resolve or source.previews.resolve  # decrypts a pending preview now
        self._lookup = resolve or source.previews.lookup  # ... or soon (painting)
        self._nodes: list[_Node] = []  # in row order
        self._by_key: dict[str, _Node] = {}  # header items hold their section key
        self._by_address: dict[int, _Node] = {}
        self._entries: dict[str, ListEntry] = {}  # shown chat id -> entry
        # A QStandardItemModel index carries its parent item's address: the
        # invisible root's for every header, the header's for every chat.
        self._root_id = _address(self.invisibleRootItem())
        self._staged: Callable[[], object] | None = None
        self.rowsInserted.connect(self._apply_staged)  # first slots: before any view's
        self.rowsRemoved.connect(self._apply_staged)
        for sig in (source.rowsInserted, source.rowsRemoved, source.rowsMoved,
                    source.dataChanged, source.layoutChanged, source.modelReset):
            sig.connect(self._rebuild)
        source.previews.ready.connect(self._previews_ready)
        self._filter.changed.connect(self._rebuild)
        self._rebuild()

    @property
    def chat_filter(self) -> ChatFilter:
        return self._filter

    # -- reading ------------------------------------------------------------

    def is_header(self, index: AnyIndex) -> bool:
        """Whether ``index`` is a section header (the delegate's size, without data())."""
        return index.isValid() and index.internalId() == self._root_id

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        # asked for the painted rows only: the layout reads the C++ rows
        if not index.isValid():
            return None
        if index.internalId() == self._root_id:
            node = self._by_key.get(super().data(index, _DISPLAY))
            return None if node is None else self._section_data(node, role)
        chat_id = self.chat_id_at(index)
        view = None if chat_id is None else self._source.built_view(chat_id)
        if view is None:
            return None
        return view_data(self._lookup(view) if role in PREVIEW_ROLES else view, role)

    def _previews_ready(self, chat_ids: list[str]) -> None:
        """Repaint the rows whose previews came in (nothing moves: order ignores them)."""
        roles = sorted(PREVIEW_ROLES)
        for chat_id in chat_ids:
            index = self.index_of(chat_id)
            if index.isValid():
                self.dataChanged.emit(index, index, roles)

    def _section_data(self, node: _Node, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return node.section.title
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return f"{node.count}, {node.unread}" if node.unread else str(node.count)
        values: dict[int, Any] = {
            ChatRole.IsSection: True,
            ChatRole.Section: node.section,
            ChatRole.SectionKey: node.section.key,
            ChatRole.SectionCount: node.count,
            ChatRole.SectionUnread: node.unread,
        }
        return values.get(role)

    def chat_id_at(self, index: AnyIndex) -> str | None:
        """The chat id of a chat index; None for headers and invalid ones."""
        if not index.isValid() or index.model() is not self:
            return None
        node = self._by_address.get(index.internalId())
        row = index.row()
        return None if node is None or row >= len(node.ids) else node.ids[row]

    def view_at(self, index: AnyIndex) -> ChatView | None:
        """The ChatView of a chat index, preview decrypted; None for headers and invalid ones."""
        chat_id = self.chat_id_at(index)
        view = None if chat_id is None else self._source.built_view(chat_id)
        return None if view is None else self._resolve(view)

    def index_of(self, chat_id: str) -> QModelIndex:
        """The index of a shown chat, invalid when it is filtered out or absent."""
        entry = self._entries.get(chat_id)
        node = None if entry is None else self._by_key.get(entry.section.key)
        if node is None or chat_id not in node.ids:
            return QModelIndex()
        return self.index(node.ids.index(chat_id), 0, node.item.index())

    def section_index(self, key: str) -> QModelIndex:
        """The header index of a section by key, invalid when not shown."""
        node = self._by_key.get(key)
        return QModelIndex() if node is None else node.item.index()

    def section_keys(self) -> list[str]:
        """Keys of the shown sections, top to bottom."""
        return [n.section.key for n in self._nodes]

    def chat_ids(self) -> list[str]:
        """Ids of the shown chats in list order."""
        return [cid for n in self._nodes for cid in n.ids]

    # -- rebuilding ---------------------------------------------------------

    def _target(self) -> tuple[list[tuple[Section, list[str]]], dict[str, ListEntry]]:
        """The layout the source and the filter ask for: sorted sections, sorted chat ids."""
        entries = self._source.entries()
        if self._filter.filtering:
            accepts, known = self._filter.accepts, self._source.known_preview
            entries = [e for e in entries if accepts(e, known(e) if self._filter.search_text
                                                     else None)]
        groups: dict[str, list[ListEntry]] = {}
        for entry in entries:
            groups.setdefault(entry.section.key, []).append(entry)
        layout = []
        for members in groups.values():
            members.sort(key=_order)
            layout.append((members[0].section, [e.id for e in members]))
        layout.sort(key=lambda item: section_sort_key(item[0]))
        return layout, {e.id: e for e in entries}

    def _rebuild(self, *_args: object) -> None:
        """Walk the current rows to the target layout with few, coarse signals."""
        with paused_gc():  # tens of thousands of small objects: no heap walks in between
            layout, entries = self._target()
            wanted = {section.key: ids for section, ids in layout}
            old_entries = self._entries
            self._entries = {**old_entries, **entries}  # removed rows stay readable meanwhile
            self._drop_sections(set(wanted))
            for node in self._nodes:
                self._drop_children(node, set(wanted[node.section.key]))
            self._arrange_sections(layout)
            for node in self._nodes:
                self._add_children(node, wanted[node.section.key])
                self._reorder_children(node, wanted[node.section.key])
            self._entries = entries
            self._refresh_data(old_entries)

    def _stage(self, change: Callable[[], object], act: Callable[[], object]) -> None:
        """Run the Qt change ``act``; ``change`` (Python's side) runs inside its signal."""
        self._staged = change
        act()
        if self._staged is not None:  # no signal came (nothing changed): apply now
            self._apply_staged()

    def _apply_staged(self, *_args: object) -> None:
        change, self._staged = self._staged, None
        if change is not None:
            change()

    def _drop_sections(self, keep: set[str]) -> None:
        for row in range(len(self._nodes) - 1, -1, -1):
            node = self._nodes[row]
            if node.section.key not in keep:
                self._stage(partial(self._forget, row, node), partial(self.removeRow, row))

    def _forget(self, row: int, node: _Node) -> None:
        del self._nodes[row]
        del self._by_key[node.section.key]
        del self._by_address[node.address]

    def _drop_children(self, node: _Node, keep: set[str]) -> None:
        """Remove the chats not in ``keep``, one signal per contiguous run, bottom first."""
        gone = [row for row, chat_id in enumerate(node.ids) if chat_id not in keep]
        while gone:
            last = first = gone.pop()
            while gone and gone[-1] == first - 1:
                first = gone.pop()
            self._stage(partial(_delete, node.ids, first, last + 1),
                        partial(node.item.removeRows, first, last - first + 1))

    def _arrange_sections(self, layout: list[tuple[Section, list[str]]]) -> None:
        for pos, (section, ids) in enumerate(layout):
            current = [n.section.key for n in self._nodes]
            if pos < len(current) and current[pos] == section.key:
                continue
            if section.key in current:  # moved: the header item takes its rows along
                self._move_section(current.index(section.key), pos)
                continue
            header = QStandardItem(section.key)
            header.setFlags(_HEADER_FLAGS)
            header.setColumnCount(1)  # rows without an item still need their column
            header.setRowCount(len(ids))  # detached yet: no signal; the rows come along
            unread = sum(unread_of(self._entries[chat_id]) for chat_id in ids)
            node = _Node(section, header, _address(header), list(ids), len(ids), unread)
            self._stage(partial(self._remember, pos, node), partial(self.insertRow, pos, header))

    def _move_section(self, src: int, pos: int) -> None:
        node = self._nodes[src]
        taken: list[QStandardItem] = []
        self._stage(partial(self._nodes.pop, src), lambda: taken.extend(self.takeRow(src)))
        self._stage(partial(self._nodes.insert, pos, node), lambda: self.insertRow(pos, taken))

    def _remember(self, pos: int, node: _Node) -> None:
        self._nodes.insert(pos, node)
        self._by_key[node.section.key] = node
        self._by_address[node.address] = node

    def _add_children(self, node: _Node, ids: list[str]) -> None:
        """Append the section's new chats in one insert (``_reorder_children`` places them)."""
        have = set(node.ids)
        fresh = [chat_id for chat_id in ids if chat_id not in have]
        if fresh:
            self._stage(lambda: node.ids.extend(fresh),
                        lambda: node.item.insertRows(len(node.ids), len(fresh)))

    def _reorder_children(self, node: _Node, ids: list[str]) -> None:
        """Put the section's chats in ``ids`` order in one layout change.

        Persistent indexes under the section follow their chat, so the view's
        selection and current item stay on the same chats.
        """
        if node.ids == ids:
            return
        # PySide's emit() takes no parents/hint here; the tree relayouts fully anyway
        self.layoutAboutToBeChanged.emit()
        old = node.ids
        node.ids = list(ids)
        rows = {chat_id: row for row, chat_id in enumerate(node.ids)}
        parent = node.item.index()
        for index in self.persistentIndexList():
            if index.internalId() == node.address and index.row() < len(old):
                moved = self.index(rows[old[index.row()]], index.column(), parent)
                self.changePersistentIndex(index, moved)
        self.layoutChanged.emit()

    def _refresh_data(self, old: dict[str, ListEntry]) -> None:
        """dataChanged for changed chats and for headers whose numbers changed."""
        entries = self._entries
        for node in self._nodes:
            changed = [row for row, chat_id in enumerate(node.ids)
                       if (was := old.get(chat_id)) is not None and was != entries[chat_id]]
            parent = node.item.index()
            if changed:  # one signal per section: thousands of rows change in one sync
                self.dataChanged.emit(self.index(changed[0], 0, parent),
                                      self.index(changed[-1], 0, parent), [])
            section = entries[node.ids[0]].section if node.ids else node.section
            count = len(node.ids)
            unread = sum(unread_of(entries[c]) for c in node.ids)
            if (section, count, unread) != (node.section, node.count, node.unread):
                node.section, node.count, node.unread = section, count, unread
                self.dataChanged.emit(parent, parent, [])


def _order(entry: ListEntry) -> tuple[object, ...]:
    return entry.order


def _delete(ids: list[str], start: int, stop: int) -> None:
    del ids[start:stop]
