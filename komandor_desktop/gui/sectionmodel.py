"""The section tree: the (filtered) flat chat model grouped and sorted for the list.

Top-level rows are the sections of UI.md (pinned, one per company, groups, no
organisation), their children the chats in the order of ``views.view_sort_key``.
Whenever the source model changes, the tree computes the target layout and
walks its current layout towards it with remove / insert signals and one
layout change per re-sorted section, which carries persistent indexes along,
so a chat that only moves keeps its persistent index (selection, current
item, expanded sections all survive a sync).

Child indexes carry the serial number of their section as ``internalId``,
never a row: a section can move while its children are referenced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt

from ..views import ChatView, Section, section_sort_key, view_sort_key
from .chatmodel import CHAT_FLAGS, PREVIEW_ROLES, AnyIndex, ChatRole, view_data

_TOP = 0  # internalId of top-level (section) indexes
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_HEADER_FLAGS = Qt.ItemFlag.ItemIsEnabled  # headers fold, they are not selected


@dataclass(eq=False)
class _Node:
    """One section as currently exposed: its serial, header data and chat ids."""

    section: Section
    serial: int
    ids: list[str] = field(default_factory=list)
    count: int = 0
    unread: int = 0


class SectionTreeModel(QAbstractItemModel):
    """Sections with their chats, built from a flat source model of ``ChatView``."""

    def __init__(self, source: QAbstractItemModel, parent: Any = None, *,
                 resolve: Callable[[ChatView], ChatView] | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._resolve = resolve or (lambda view: view)  # decrypts a pending preview
        self._nodes: list[_Node] = []
        self._by_serial: dict[int, _Node] = {}
        self._section_rows: dict[int, int] = {}  # serial -> row of the shown sections
        self._serials: dict[str, int] = {}
        self._views: dict[str, ChatView] = {}
        for sig in (source.rowsInserted, source.rowsRemoved, source.rowsMoved):
            sig.connect(self._rebuild)
        source.dataChanged.connect(self._rebuild)
        source.layoutChanged.connect(self._rebuild)
        source.modelReset.connect(self._rebuild)
        self._rebuild()

    # -- structure ----------------------------------------------------------

    # index(), parent() and flags() run for every row at each layout of the tree
    # (10,000 rows: tens of thousands of calls), hence the plain, flat checks.

    def index(self, row: int, column: int = 0, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        nodes = self._nodes
        if not parent.isValid():
            return self.createIndex(row, 0, _TOP) if row < len(nodes) else QModelIndex()
        prow = parent.row()
        if parent.internalId() != _TOP or prow >= len(nodes) or row >= len(nodes[prow].ids):
            return QModelIndex()
        return self.createIndex(row, 0, nodes[prow].serial)

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        row = self._section_rows.get(index.internalId())  # None for _TOP and unknown serials
        return QModelIndex() if row is None else self.createIndex(row, 0, _TOP)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._nodes)
        if parent.column() != 0 or parent.internalId() != _TOP:
            return 0
        return len(self._nodes[parent.row()].ids)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 1

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return _NO_FLAGS
        return _HEADER_FLAGS if index.internalId() == _TOP else CHAT_FLAGS

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # cheap checks instead of checkIndex(): the view asks for every row's data
        if not index.isValid() or index.model() is not self:
            return None
        if index.internalId() == _TOP:
            row = index.row()
            return self._section_data(self._nodes[row], role) if row < len(self._nodes) else None
        view = self._built_view(index)
        if view is None:
            return None
        return view_data(self._resolve(view) if role in PREVIEW_ROLES else view, role)

    def is_header(self, index: AnyIndex) -> bool:
        """Whether ``index`` is a section header (the delegate's size, without data())."""
        return index.isValid() and index.internalId() == _TOP

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

    # -- lookups ------------------------------------------------------------

    def view_at(self, index: AnyIndex) -> ChatView | None:
        """The ChatView of a chat index, preview decrypted; None for headers and invalid ones."""
        view = self._built_view(index)
        return None if view is None else self._resolve(view)

    def _built_view(self, index: AnyIndex) -> ChatView | None:
        if not index.isValid() or index.internalId() == _TOP:
            return None
        node = self._by_serial.get(index.internalId())
        if node is None or index.row() >= len(node.ids):
            return None
        return self._views.get(node.ids[index.row()])

    def index_of(self, chat_id: str) -> QModelIndex:
        """The index of a shown chat, invalid when it is filtered out or absent."""
        for row, node in enumerate(self._nodes):
            if chat_id in node.ids:
                return self.index(node.ids.index(chat_id), 0, self.index(row, 0))
        return QModelIndex()

    def section_index(self, key: str) -> QModelIndex:
        """The header index of a section by key, invalid when not shown."""
        for row, node in enumerate(self._nodes):
            if node.section.key == key:
                return self.index(row, 0)
        return QModelIndex()

    def section_keys(self) -> list[str]:
        """Keys of the shown sections, top to bottom."""
        return [n.section.key for n in self._nodes]

    def chat_ids(self) -> list[str]:
        """Ids of the shown chats in list order."""
        return [cid for n in self._nodes for cid in n.ids]

    # -- rebuilding ---------------------------------------------------------

    def _source_views(self) -> list[ChatView]:
        """The views of the source's rows: in bulk when it offers ``shown_views``.

        Reading 10,000 rows one ``index().data()`` at a time costs ~0.1 s; the
        filter proxy and the flat model hand their list over in one call.
        """
        bulk = getattr(self._source, "shown_views", None)
        if callable(bulk):
            return list(bulk())
        found = (self._source.index(row, 0).data(ChatRole.RawView)
                 for row in range(self._source.rowCount()))
        return [view for view in found if isinstance(view, ChatView)]

    def _target(self) -> tuple[list[tuple[Section, list[str]]], dict[str, ChatView]]:
        """The layout the source asks for: sorted sections with sorted chat ids."""
        views = {view.id: view for view in self._source_views()}
        groups: dict[str, list[ChatView]] = {}
        for view in sorted(views.values(), key=view_sort_key):
            groups.setdefault(view.section.key, []).append(view)
        layout = [(vs[0].section, [v.id for v in vs]) for vs in groups.values()]
        layout.sort(key=lambda item: section_sort_key(item[0]))
        return layout, views

    def _rebuild(self, *_args: object) -> None:
        """Walk the current tree to the target layout with few, coarse signals.

        Removals go in contiguous runs, a section's new chats in one insert,
        and a section whose order changed in one layout change that carries
        the persistent indexes along (selection, current item, folding).
        """
        layout, views = self._target()
        wanted = {section.key: ids for section, ids in layout}
        old_views = self._views
        self._views = {**old_views, **views}  # old entries stay readable while removing
        self._drop_sections(set(wanted))
        for node in self._nodes:
            self._drop_children(node, set(wanted[node.section.key]))
        self._arrange_sections(layout)
        for node in self._nodes:
            self._add_children(node, wanted[node.section.key])
            self._reorder_children(node, wanted[node.section.key])
        self._views = views
        self._refresh_data(old_views)

    def _drop_sections(self, keep: set[str]) -> None:
        for row in range(len(self._nodes) - 1, -1, -1):
            node = self._nodes[row]
            if node.section.key not in keep:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._nodes[row]
                del self._by_serial[node.serial]
                self._reindex_sections()
                self.endRemoveRows()

    def _drop_children(self, node: _Node, keep: set[str]) -> None:
        """Remove the chats not in ``keep``, one signal per contiguous run, bottom first."""
        gone = [row for row, chat_id in enumerate(node.ids) if chat_id not in keep]
        if not gone:
            return
        parent = self.createIndex(self._section_rows[node.serial], 0, _TOP)
        while gone:
            last = first = gone.pop()
            while gone and gone[-1] == first - 1:
                first = gone.pop()
            self.beginRemoveRows(parent, first, last)
            del node.ids[first : last + 1]
            self.endRemoveRows()

    def _arrange_sections(self, layout: list[tuple[Section, list[str]]]) -> None:
        root = QModelIndex()
        for pos, (section, ids) in enumerate(layout):
            current = [n.section.key for n in self._nodes]
            if pos < len(current) and current[pos] == section.key:
                continue
            if section.key in current:
                src = current.index(section.key)
                self.beginMoveRows(root, src, src, root, pos)
                self._nodes.insert(pos, self._nodes.pop(src))
                self._reindex_sections()
                self.endMoveRows()
                continue
            node = _Node(section, self._serial(section.key), list(ids))
            self.beginInsertRows(root, pos, pos)  # with all its chats: one signal
            self._nodes.insert(pos, node)
            self._by_serial[node.serial] = node
            self._reindex_sections()
            self.endInsertRows()

    def _add_children(self, node: _Node, ids: list[str]) -> None:
        """Append the section's new chats in one insert (``_reorder_children`` places them)."""
        have = set(node.ids)
        fresh = [chat_id for chat_id in ids if chat_id not in have]
        if not fresh:
            return
        parent = self.createIndex(self._section_rows[node.serial], 0, _TOP)
        first = len(node.ids)
        self.beginInsertRows(parent, first, first + len(fresh) - 1)
        node.ids.extend(fresh)
        self.endInsertRows()

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
        for index in self.persistentIndexList():
            if index.internalId() == node.serial and index.row() < len(old):
                moved = self.createIndex(rows[old[index.row()]], index.column(), node.serial)
                self.changePersistentIndex(index, moved)
        self.layoutChanged.emit()

    def _refresh_data(self, old_views: dict[str, ChatView]) -> None:
        """dataChanged for changed chats and for headers whose numbers changed."""
        for row, node in enumerate(self._nodes):
            parent = self.createIndex(row, 0, _TOP)
            changed = [child for child, chat_id in enumerate(node.ids)
                       if _changed(old_views.get(chat_id), self._views[chat_id])]
            if changed:  # one signal per section: thousands of rows change in one sync
                self.dataChanged.emit(self.index(changed[0], 0, parent),
                                      self.index(changed[-1], 0, parent), [])
            section = self._views[node.ids[0]].section if node.ids else node.section
            count = len(node.ids)
            unread = sum(self._views[c].unread for c in node.ids)
            if (section, count, unread) != (node.section, node.count, node.unread):
                node.section, node.count, node.unread = section, count, unread
                self.dataChanged.emit(parent, parent, [])

    def _reindex_sections(self) -> None:
        self._section_rows = {node.serial: row for row, node in enumerate(self._nodes)}

    def _serial(self, key: str) -> int:
        """A stable, never reused internal id for a section key."""
        if key not in self._serials:
            self._serials[key] = len(self._serials) + 1
        return self._serials[key]


def _changed(old: ChatView | None, new: ChatView) -> bool:
    """Whether a shown chat's view changed (same object: no, without comparing fields)."""
    return old is not None and old is not new and old != new
