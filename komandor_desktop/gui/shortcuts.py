"""The list of keyboard shortcuts (F1, and the menu's "Keyboard shortcuts").

The window's own shortcuts are read from its actions, so the list cannot
miss one; the keys of the chat list and the search field, which are not
actions, are listed after them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

_HINT = re.compile(r"\s*\([^)]*\)\s*$")  # "Sync now (F5)": the key is in its own column


def action_words(action: QAction) -> str:
    """An action's text without the key hint in brackets, the ellipsis and mnemonics."""
    return _HINT.sub("", action.text()).replace("&", "").rstrip("…").strip()


class ShortcutsDialog(QDialog):
    """A small table: key, what it does; in the UI language."""

    def __init__(self, parent: QWidget | None, actions: Sequence[QAction]) -> None:
        super().__init__(parent)
        self._actions = list(actions)
        self.table = QTableWidget(0, 2, self)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setWordWrap(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 480)
        self.retranslate()

    def _list_keys(self) -> list[tuple[str, str]]:
        return [
            ("↑ / ↓", self.tr("Previous / next chat (section headers are skipped)")),
            ("Home / End", self.tr("First / last chat")),
            ("Enter", self.tr("Open the chat")),
            ("←", self.tr("From a chat to its section header")),
            (self.tr("Space, ← / →"), self.tr("Fold / unfold the section under the cursor")),
            (self.tr("↓ in the search"), self.tr("Into the chat list")),
            ("Esc", self.tr("Clear the search")),
            ("Tab / Shift+Tab", self.tr("Next / previous control")),
            ("Ctrl+Enter", self.tr("Add the contacts (in “Add contacts…”)")),
        ]

    def rows(self) -> list[tuple[str, str]]:
        """(key, what it does) as shown, top to bottom."""
        own = [(a.shortcut().toString(QKeySequence.SequenceFormat.PortableText), action_words(a))
               for a in self._actions if not a.shortcut().isEmpty()]
        return own + self._list_keys()

    def retranslate(self) -> None:
        """Every word again (LanguageChange; the window calls it after its actions)."""
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.setAccessibleName(self.tr("Keyboard shortcuts"))
        self.table.setAccessibleName(self.tr("Keyboard shortcuts"))
        self.close_button.setText(self.tr("Close"))
        self.close_button.setAccessibleName(self.tr("Close"))
        self.table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("Action")])
        rows = self.rows()
        self.table.setRowCount(len(rows))
        for row, (key, what) in enumerate(rows):
            for column, text in enumerate((key, what)):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, column, item)
        self.table.resizeColumnToContents(0)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
