"""The left pane: search field, All / Unread filter, and the sectioned chat list.

The pane stacks the section tree (with its ``ChatFilter``) over a
``ChatListModel`` it is given, and turns view events into chat ids, so the
window never deals with indexes. Section headers fold on click, Space,
Left/Right; which ones are folded is kept by key so it survives syncs and
restarts.

Signals:
    currentChatChanged(str): the current chat's id, "" when none.
    chatActivated(str): Enter / double click on a chat that is switched on.
    inspectorRequested(str): the context menu's "Chat inspector".
    collapsedChanged(): a section was folded or unfolded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..views import ChatView
from . import icons
from .chatmodel import ChatFilter, ChatListModel, ChatRole
from .delegate import ChatDelegate
from .sectionmodel import SectionTreeModel

_MOVE = QAbstractItemView.CursorAction
_SKIPPING = frozenset({_MOVE.MoveUp, _MOVE.MoveDown, _MOVE.MovePageUp, _MOVE.MovePageDown,
                       _MOVE.MoveHome, _MOVE.MoveEnd, _MOVE.MoveNext, _MOVE.MovePrevious})


def _is_header(index: QModelIndex) -> bool:
    return index.isValid() and bool(index.data(ChatRole.IsSection))


class ChatTree(QTreeView):
    """The list itself: a header-less tree whose delegate paints everything."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(0)
        self.setItemsExpandable(True)
        self.setExpandsOnDoubleClick(False)
        self.setMouseTracking(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QTreeView.Shape.NoFrame)
        self.setAllColumnsShowFocus(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.empty_label = QLabel(self.viewport())  # "Nothing found", over the empty list
        self.empty_label.setObjectName("emptyList")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty_label.setWordWrap(True)
        self.empty_label.hide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.empty_label.setGeometry(self.viewport().rect().adjusted(16, 32, -16, 0))

    def moveCursor(self, action: QAbstractItemView.CursorAction,
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        """Up, Down, Page Up/Down, Home and End land on chats, never on section headers.

        Left on a chat still goes to its header (to fold it from the keyboard).
        """
        index = super().moveCursor(action, modifiers)
        move = QAbstractItemView.CursorAction
        if action not in _SKIPPING or not _is_header(index):
            return index
        forward = action in (move.MoveDown, move.MovePageDown, move.MoveHome, move.MoveNext)
        step = self.indexBelow if forward else self.indexAbove
        probe = index
        while probe.isValid() and _is_header(probe):
            probe = step(probe)
        if not probe.isValid():  # nothing past the header that way: look back the other way
            back = self.indexAbove if forward else self.indexBelow
            probe = index
            while probe.isValid() and _is_header(probe):
                probe = back(probe)
        return probe if probe.isValid() else self.currentIndex()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Space folds a header; Enter on a header folds too instead of "activating"."""
        index = self.currentIndex()
        keys = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if index.isValid() and index.data(ChatRole.IsSection) and event.key() in keys:
            self.setExpanded(index, not self.isExpanded(index))
            return
        super().keyPressEvent(event)


class ChatListPane(QWidget):
    """Search, filters and the chat tree over one flat ``ChatListModel``."""

    currentChatChanged = Signal(str)
    chatActivated = Signal(str)
    inspectorRequested = Signal(str)
    collapsedChanged = Signal()

    def __init__(
        self, model: ChatListModel, parent: QWidget | None = None, *, clock: Any = None
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.filter = ChatFilter(self)
        self.tree_model = SectionTreeModel(model, self.filter, self)
        self._collapsed: set[str] = set()
        self._chosen: str | None = None  # the chat the user made current, even if filtered out
        self._refiltering = False
        self._build(clock)
        self.empty_label = self.tree.empty_label
        self.tree_model.rowsInserted.connect(self._on_rows_inserted)
        self.tree_model.modelReset.connect(self._apply_collapsed)
        self._apply_collapsed()
        self.retranslate()

    def _build(self, clock: Any) -> None:
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        glass = icons.icon("search", self._soft())
        self._glass = self.search.addAction(glass, QLineEdit.ActionPosition.LeadingPosition)
        self.search.textChanged.connect(lambda text: self._refilter(self.filter.set_search, text))
        self.search.installEventFilter(self)
        self.all_button = QPushButton(self)
        self.unread_button = QPushButton(self)
        # two checkable buttons, not an exclusive QButtonGroup: in one, Tab reaches
        # only the checked chip; ``_choose`` keeps exactly one checked
        for pos, button in enumerate((self.all_button, self.unread_button)):
            button.setCheckable(True)
            button.setObjectName("filterChip")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.clicked.connect(lambda _checked=False, pos=pos: self._choose(pos))
        self.all_button.setChecked(True)
        self.tree = ChatTree(self)
        self.delegate = ChatDelegate(self.tree, is_expanded=self.tree.isExpanded, clock=clock,
                                     is_header=self.tree_model.is_header)
        self.tree.setItemDelegate(self.delegate)
        self.tree.setModel(self.tree_model)
        self.tree.selectionModel().currentChanged.connect(self._on_current)
        self.tree.activated.connect(self._on_activated)
        self.tree.clicked.connect(self._on_clicked)
        self.tree.expanded.connect(lambda i: self._on_fold(i, False))
        self.tree.collapsed.connect(lambda i: self._on_fold(i, True))
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        chips = QHBoxLayout()
        chips.setSpacing(6)
        chips.addWidget(self.all_button)
        chips.addWidget(self.unread_button)
        chips.addStretch(1)
        top = QVBoxLayout()
        top.setContentsMargins(10, 10, 10, 6)
        top.setSpacing(8)
        top.addWidget(self.search)
        top.addLayout(chips)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)

    def _soft(self) -> Any:
        return self.palette().color(QPalette.ColorRole.PlaceholderText)

    def retranslate(self) -> None:
        """Set every visible word again (called on LanguageChange)."""
        self.search.setPlaceholderText(self.tr("Search (Ctrl+F)"))
        self.search.setAccessibleName(self.tr("Search"))
        self.all_button.setText(self.tr("All"))
        self.all_button.setAccessibleName(self.tr("All chats"))
        self.unread_button.setText(self.tr("Unread"))
        self.unread_button.setAccessibleName(self.tr("Unread chats only"))
        for button in self.search.findChildren(QToolButton):  # the glass and the clear button
            clear = button.defaultAction() is not self._glass
            button.setAccessibleName(self.tr("Clear the search") if clear else self.tr("Search"))
        self.tree.setAccessibleName(self.tr("Chats"))
        self._update_empty()
        self.tree.viewport().update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- selection ----------------------------------------------------------

    def current_chat(self) -> ChatView | None:
        """The chat under the cursor, or None (nothing, or a header)."""
        return self.tree_model.view_at(self.tree.currentIndex())

    def select_chat(self, chat_id: str) -> bool:
        """Make ``chat_id`` current and selected; False when it is not shown."""
        index = self.tree_model.index_of(chat_id)
        if not index.isValid():
            return False
        self.tree.expand(index.parent())
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        return True

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._refiltering:  # Qt moves the cursor off hidden rows: not the user's choice
            return
        view = self.tree_model.view_at(current)
        self._chosen = view.id if view else None
        self.currentChatChanged.emit(view.id if view else "")

    def _on_activated(self, index: QModelIndex) -> None:
        view = self.tree_model.view_at(index)
        if view is not None and view.enabled:
            self.chatActivated.emit(view.id)

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.data(ChatRole.IsSection):
            self.tree.setExpanded(index, not self.tree.isExpanded(index))

    def _context_menu(self, pos: Any) -> None:
        view = self.tree_model.view_at(self.tree.indexAt(pos))
        if view is None:
            return
        menu = QMenu(self)
        action = QAction(self.tr("Chat inspector"), menu)
        action.triggered.connect(lambda: self.inspectorRequested.emit(view.id))
        menu.addAction(action)
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    # -- filters ------------------------------------------------------------

    def _choose(self, button_id: int) -> None:
        """One chip checked at a time (a click on the checked one keeps it); filter by it."""
        self.all_button.setChecked(button_id == 0)
        self.unread_button.setChecked(button_id == 1)
        self._refilter(self.filter.set_unread_only, button_id == 1)

    def _refilter(self, change: Any, value: Any) -> None:
        """Apply a filter change; the chosen chat stays current while it is shown.

        When the filter hides it, nothing is current (the profile pane clears)
        rather than a neighbour the user never picked; when it shows it
        again, it is current again.
        """
        chosen = self._chosen
        self._refiltering = True
        try:
            change(value)
        finally:
            self._refiltering = False
        shown = chosen is not None and self.tree_model.index_of(chosen).isValid()
        current = self.tree_model.chat_id_at(self.tree.currentIndex())
        if shown and current != chosen:
            assert chosen is not None
            self.select_chat(chosen)
        elif not shown:  # Qt may have moved the cursor to a neighbour, or to nothing
            self.tree.selectionModel().clear()
            self.currentChatChanged.emit("")  # the profile pane clears
            self._chosen = chosen
        self._update_empty()

    def _update_empty(self) -> None:
        """Say so in the list area when the filter leaves no chat."""
        empty = self.filter.filtering and not self.tree_model.chat_ids()
        if self.filter.search_text:
            self.empty_label.setText(self.tr("Nothing found"))
        else:
            self.empty_label.setText(self.tr("No unread chats"))
        self.empty_label.setVisible(empty)

    def set_unread_only(self, on: bool) -> None:
        self._choose(1 if on else 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the search moves into the list; Escape clears the search."""
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key == Qt.Key.Key_Down:
                self.tree.setFocus()
                if self.current_chat() is None:
                    self._select_first()
                return True
            if key == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
        return super().eventFilter(watched, event)

    def _select_first(self) -> None:
        ids = self.tree_model.chat_ids()
        if ids:
            self.select_chat(ids[0])

    # -- folding ------------------------------------------------------------

    def collapsed_sections(self) -> list[str]:
        """Keys of the folded sections (shown or not), sorted for stable settings."""
        return sorted(self._collapsed)

    def set_collapsed_sections(self, keys: Iterable[str]) -> None:
        self._collapsed = set(keys)
        self._apply_collapsed()

    def _apply_collapsed(self) -> None:
        for row in range(self.tree_model.rowCount()):
            index = self.tree_model.index(row, 0)
            key = index.data(ChatRole.SectionKey)
            self.tree.setExpanded(index, key not in self._collapsed)

    def _on_rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if parent.isValid():
            return
        for row in range(first, last + 1):
            index = self.tree_model.index(row, 0)
            self.tree.setExpanded(index, index.data(ChatRole.SectionKey) not in self._collapsed)

    def _on_fold(self, index: QModelIndex, folded: bool) -> None:
        key = index.data(ChatRole.SectionKey)
        if not isinstance(key, str) or (key in self._collapsed) == folded:
            return
        if folded:
            self._collapsed.add(key)
        else:
            self._collapsed.discard(key)
        self.collapsedChanged.emit()

    def views_updated(self, views: Sequence[ChatView]) -> None:
        """Apply a new list (views or a ``ChatListing``) in place.

        Selection and folding survive: persistent indexes follow their chats
        through removals, inserts and re-sorts; only a chat whose section
        moved loses its index, and is made current again here.
        """
        current = self.tree_model.chat_id_at(self.tree.currentIndex())
        self.model.update(views)
        self._update_empty()
        if current is not None and self.tree_model.chat_id_at(self.tree.currentIndex()) is None:
            index = self.tree_model.index_of(current)
            if index.isValid():
                self.tree.setCurrentIndex(index)

