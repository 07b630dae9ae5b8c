"""The main window of UI.md: toolbar, chat list, profile pane, status line.

The window only wires widgets to the bridge's Signals and to injected
callables; it decides nothing about chats. Geometry, the splitter and the
folded sections are kept in the QSettings it is given (tests pass an ini file).

Signals:
    chatOpened(str): a switched-on chat was activated (Enter / double click).
    unreadChanged(int): the total unread count (for the tray icon).
    signInRequested(): the session expired and the user must sign in again.
    languageChosen(str): the user picked "ru" or "en" in the menu.
    closed(): the window was closed (Quit, Ctrl+Q, the close button); the
        composition root ends the program on it (see ``gui/lifecycle.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QKeySequence,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QMainWindow,
    QMenu,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..texts import status_text
from ..views import ChatView
from . import icons, style
from .banner import ConnectionBanner
from .bridge import SyncBridge
from .chatlist import ChatListPane
from .chatmodel import ChatListModel
from .detail import DetailPanel, InspectorData
from .dialogs import AddContactsDialog, Normalizer
from .elided import ElidedLabel
from .i18n import LanguageSwitch, current_language
from .inspector import InspectorDialog
from .previews import Previews
from .shortcuts import ShortcutsDialog, action_words
from .statusbar import SyncStatus


class MainWindow(QMainWindow):
    """Komandor's window over a ``SyncBridge``.

    Args:
        bridge: the sync bridge; None shows a static list (``set_views``).
        settings: where geometry and folded sections live; None keeps nothing.
        languages: the app's ``LanguageSwitch`` for the language menu.
        user_name: shown in the title "Командор — {name}".
        inspector_data: ``chat_id -> dict`` for the inspector and certificate list.
        normalize: phone normaliser for the add-contacts dialog (default: protocol's).
        clock: "now" for times; tests pin it.
        previews: ``chat_id -> decrypted last message`` for views built with
            their previews pending (``Session.preview``); asked only for the
            rows the list shows and the chat in the profile pane.
    """

    chatOpened = Signal(str)
    unreadChanged = Signal(int)
    signInRequested = Signal()
    languageChosen = Signal(str)
    closed = Signal()

    def __init__(
        self,
        bridge: SyncBridge | None = None,
        *,
        settings: QSettings | None = None,
        languages: LanguageSwitch | None = None,
        user_name: str = "",
        inspector_data: InspectorData | None = None,
        normalize: Normalizer | None = None,
        clock: Callable[[], datetime] | None = None,
        previews: Previews | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.settings = settings
        self.languages = languages
        self.user_name = user_name
        self._inspector_data = inspector_data
        self._normalize = normalize
        self.inspector: InspectorDialog | None = None
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self.add_dialog: AddContactsDialog | None = None
        icons.preload()  # the rows' icons are ready before the first sync's rows paint
        self.model = ChatListModel(parent=self, previews=previews)
        self.pane = ChatListPane(self.model, self, clock=clock)
        self.pane.setObjectName("chatPane")
        self.detail = DetailPanel(self, inspector_data=inspector_data, clock=clock)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.pane)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        self.pane.setMinimumWidth(300)
        self.splitter.setSizes([380, 620])
        self.banner = ConnectionBanner(self, clock=clock)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.status = SyncStatus(self, clock=clock)
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().setSizeGripEnabled(False)
        self.apply_style()
        self._build_actions()
        self._connect()
        self.restore_settings()
        self.retranslate()

    # -- construction -------------------------------------------------------

    def apply_style(self) -> None:
        """The light or dark look on this window and its dialogs (follows the system)."""
        dark = style.is_dark()
        self.setPalette(style.palette(dark))
        self.setStyleSheet(style.stylesheet(dark))

    def _build_actions(self) -> None:
        soft = self.palette().color(QPalette.ColorRole.Text)
        self.sync_action = QAction(icons.icon("refresh", soft), "", self)
        self.sync_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.sync_action.triggered.connect(self.sync_now)
        self.add_action = QAction(icons.icon("add-contact", soft), "", self)
        self.add_action.setShortcut(QKeySequence("Ctrl+N"))
        self.add_action.triggered.connect(self.open_add_contacts)
        self.inspect_action = QAction(self)
        self.inspect_action.setShortcut(QKeySequence("Ctrl+I"))
        self.inspect_action.triggered.connect(self.open_inspector)
        self.quit_action = QAction(self)
        # StandardKey.Quit is empty on Windows and on platforms without a theme
        # (offscreen): Ctrl+Q is spelled out, so that it works everywhere
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)
        self.find_action = QAction(self)
        self.find_action.setShortcut(QKeySequence("Ctrl+F"))
        self.find_action.triggered.connect(self.focus_search)
        self.help_action = QAction(self)
        self.help_action.setShortcut(QKeySequence(Qt.Key.Key_F1))
        self.help_action.triggered.connect(self.open_shortcuts)
        self.addActions([self.find_action, self.help_action])
        self.lang_group = QActionGroup(self)
        self.lang_ru = QAction("Русский", self.lang_group, checkable=True)
        self.lang_en = QAction("English", self.lang_group, checkable=True)
        self.lang_ru.triggered.connect(lambda: self.choose_language("ru"))
        self.lang_en.triggered.connect(lambda: self.choose_language("en"))
        self.menu = QMenu(self)  # every action, so that a narrow toolbar hides none
        self.menu.addActions([self.sync_action, self.add_action, self.inspect_action])
        self.lang_menu = self.menu.addMenu("")
        self.lang_menu.addActions([self.lang_ru, self.lang_en])
        self.menu.addSeparator()
        self.menu.addAction(self.help_action)
        self.menu.addAction(self.quit_action)
        self._build_toolbar(soft)

    def _build_toolbar(self, soft: Any) -> None:
        self.toolbar = QToolBar(self)
        self.toolbar.setMovable(False)
        self.toolbar.setFloatable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.title_label = ElidedLabel(self.toolbar)  # takes the room the buttons leave
        self.title_label.setObjectName("windowTitle")
        self.toolbar.addWidget(self.title_label)
        self.toolbar.addAction(self.sync_action)
        self.toolbar.addAction(self.add_action)
        self.menu_button = QToolButton(self.toolbar)
        self.menu_button.setIcon(icons.icon("menu", soft))
        self.menu_button.setMenu(self.menu)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.toolbar.addWidget(self.menu_button)
        self.addToolBar(self.toolbar)
        for action in (self.sync_action, self.add_action):  # toolbar buttons take no focus
            self.toolbar.widgetForAction(action).setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.menu_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)

    def _connect(self) -> None:
        self.pane.currentChatChanged.connect(self._on_current)
        self.pane.chatActivated.connect(self.chatOpened)
        self.pane.inspectorRequested.connect(self.open_inspector)
        self.pane.collapsedChanged.connect(self.save_settings)
        self.detail.inspectorRequested.connect(self.open_inspector)
        self.status.retryRequested.connect(self.sync_now)
        self.banner.retryRequested.connect(self.sync_now)
        if self.languages is not None:
            self.languages.languageChanged.connect(self._on_language)
        bridge = self.bridge
        if bridge is None:
            return
        bridge.viewsChanged.connect(self.set_views)
        bridge.progress.connect(self.status.show_progress)
        bridge.syncFinished.connect(self.status.show_synced)
        bridge.offline.connect(self.status.show_offline)
        bridge.error.connect(self.status.show_error)
        bridge.signedOut.connect(self._on_signed_out)
        bridge.syncFinished.connect(self.banner.synced)
        bridge.unreachable.connect(self.banner.offline)
        bridge.busyChanged.connect(lambda busy: self.sync_action.setEnabled(not busy))
        bridge.workerStateChanged.connect(self.status.show_worker)

    def retranslate(self) -> None:
        """Every word of the chrome again (LanguageChange, and at start)."""
        title = self.tr("Komandor")
        if self.user_name:
            title = self.tr("Komandor — {name}").format(name=self.user_name)
        self.setWindowTitle(title)
        self.title_label.setText(title)
        self.sync_action.setText(self.tr("Sync now (F5)"))
        self.sync_action.setToolTip(self.tr("Sync now (F5)"))
        self.add_action.setText(self.tr("Add contacts…"))
        self.inspect_action.setText(self.tr("Chat inspector"))
        self.find_action.setText(self.tr("Search"))
        self.lang_menu.setTitle(self.tr("Language"))
        self.quit_action.setText(self.tr("Quit"))
        self.help_action.setText(self.tr("Keyboard shortcuts (F1)"))
        self.menu_button.setToolTip(self.tr("Menu"))
        self.menu_button.setAccessibleName(self.tr("Menu"))
        self.menu.setAccessibleName(self.tr("Menu"))
        self.lang_menu.setAccessibleName(self.tr("Language"))
        self.detail.setAccessibleName(self.tr("Profile"))
        self.status.retry.setAccessibleName(self.tr("Retry"))
        self._name_toolbar_buttons()
        lang = current_language()
        (self.lang_en if lang == "en" else self.lang_ru).setChecked(True)
        if self.shortcuts_dialog is not None:
            self.shortcuts_dialog.retranslate()

    def _name_toolbar_buttons(self) -> None:
        """Accessible names of the buttons the toolbar makes (the actions', "More")."""
        for action in (self.sync_action, self.add_action):
            button = self.toolbar.widgetForAction(action)
            button.setAccessibleName(action_words(action))
            button.setToolTip(action.text())
        more = self.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
        if more is not None:
            more.setAccessibleName(self.tr("More actions"))
            more.setToolTip(self.tr("More actions"))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Narrow windows: icon-only buttons below 760 px, the list alone below 640 px."""
        super().resizeEvent(event)
        width = event.size().width()
        style = Qt.ToolButtonStyle
        self.toolbar.setToolButtonStyle(style.ToolButtonTextBesideIcon if width >= 760
                                        else style.ToolButtonIconOnly)
        self.detail.setVisible(width >= 640)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- data ---------------------------------------------------------------

    def set_views(self, views: Sequence[ChatView]) -> None:
        """Show a new list (views or a ``ChatListing``); selection, scroll and folding survive."""
        self.pane.views_updated(views)
        current = self.pane.current_chat()
        shown = self.detail.view
        if current is not None or shown is None or self.model.view(shown.id) is None:
            self.detail.show_view(current)
        if self.inspector is not None and self.inspector.isVisible():
            self._refresh_inspector()
        self.unreadChanged.emit(self.model.total_unread())

    def delegate_time(self, chat_id: str) -> str:
        """The time column of one chat as the list paints it (for tests and a11y)."""
        view = self.model.view(chat_id)
        return self.pane.delegate.time_text(view) if view else ""

    def _on_current(self, chat_id: str) -> None:
        self.detail.show_view(self.model.view(chat_id) if chat_id else None)
        if self.inspector is not None and self.inspector.isVisible() and chat_id:
            self._refresh_inspector()

    # -- actions ------------------------------------------------------------

    def sync_now(self) -> None:
        if self.bridge is not None:
            self.bridge.request_sync()

    def focus_search(self) -> None:
        self.pane.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.pane.search.selectAll()

    def open_add_contacts(self) -> AddContactsDialog:
        """Show the add-contacts dialog; good phones start a sync that adds them."""
        on_submit = self.bridge.add_contacts if self.bridge is not None else None
        self.add_dialog = AddContactsDialog(self, on_submit=on_submit, normalize=self._normalize)
        self.add_dialog.open()
        return self.add_dialog

    def open_inspector(self, chat_id: str | None = None) -> InspectorDialog | None:
        """Show the inspector for ``chat_id`` (default: the current chat)."""
        view = self.model.view(chat_id) if chat_id else self.pane.current_chat()
        if view is None:
            return None
        if chat_id and self.pane.current_chat() != view:
            self.pane.select_chat(view.id)
        if self.inspector is None:
            self.inspector = InspectorDialog(self)
        self._refresh_inspector(view)
        self.inspector.show()
        self.inspector.raise_()
        return self.inspector

    def open_shortcuts(self) -> ShortcutsDialog:
        """Show the list of keyboard shortcuts (F1)."""
        if self.shortcuts_dialog is None:
            actions = [self.sync_action, self.add_action, self.find_action, self.inspect_action,
                       self.help_action, self.quit_action]
            self.shortcuts_dialog = ShortcutsDialog(self, actions)
        self.shortcuts_dialog.retranslate()
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()
        return self.shortcuts_dialog

    def _refresh_inspector(self, view: ChatView | None = None) -> None:
        view = view or self.pane.current_chat()
        if view is None or self.inspector is None:
            return
        data: dict[str, Any] = {
            "chat_id": view.id, "name": view.name, "status": view.status.value,
            "status_text": status_text(view.status.value, current_language()),
            "enabled": view.enabled, "reason": view.reason.value if view.reason else None,
            "reason_text": view.reason_text, "tooltip": view.tooltip,
        }
        if self._inspector_data is not None:
            data.update(self._inspector_data(view.id))
        self.inspector.set_data(data)

    def choose_language(self, lang: str) -> None:
        if self.languages is not None:
            self.languages.set_language(lang)
        self.languageChosen.emit(lang)

    def _on_language(self, _lang: str) -> None:
        if self.bridge is not None:
            self.bridge.refresh_views()  # reason lines come from build_views

    def _on_signed_out(self) -> None:
        self.status.show_signed_out()
        self.banner.signed_out()
        self.signInRequested.emit()

    # -- settings -----------------------------------------------------------

    def restore_settings(self) -> None:
        if self.settings is None:
            return
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = self.settings.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        collapsed = self.settings.value("list/collapsed", [])
        if isinstance(collapsed, str):
            collapsed = [collapsed]
        elif not isinstance(collapsed, list):
            collapsed = []
        self.pane.set_collapsed_sections(str(key) for key in collapsed)

    def save_settings(self) -> None:
        if self.settings is None:
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("list/collapsed", self.pane.collapsed_sections())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self.model.previews.close()  # its thread reads the store: done before the store closes
        if self.bridge is not None:
            self.bridge.stop()
        super().closeEvent(event)
        self.closed.emit()
