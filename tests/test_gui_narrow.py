"""The window at 360 px: nothing clipped, every action still reachable."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QToolButton

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _inside(window, widget) -> bool:  # type: ignore[no-untyped-def]
    """Whether ``widget`` is shown and wholly within the window."""
    if not widget.isVisibleTo(window):
        return False
    top_left = widget.mapTo(window, widget.rect().topLeft())
    return window.rect().contains(QRect(top_left, widget.size()))


def test_window_works_at_360_px(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.pane.select_chat("c1")
    window.resize(360, 640)
    qtbot.waitUntil(lambda: window.width() == 360)
    QApplication.processEvents()
    assert window.minimumSizeHint().width() <= 360
    assert _inside(window, window.pane)
    assert _inside(window, window.menu_button)
    assert not window.detail.isVisible()  # one column: the list
    pane = window.pane
    for chip in (pane.all_button, pane.unread_button):
        assert _inside(window, chip)
        assert chip.width() >= chip.sizeHint().width()  # "Непрочитанные" is not clipped
    menu = window.menu.actions()
    for action in (window.sync_action, window.add_action, window.inspect_action,
                   window.help_action, window.quit_action):
        button = window.toolbar.widgetForAction(action)
        shown = isinstance(button, QToolButton) and _inside(window, button)
        assert shown or action in menu, action.text()
    assert window.lang_menu.menuAction() in menu
    title = window.title_label
    assert title.text() == "Командор — Иван Петров"  # whole for screen readers
    assert _inside(window, title)
    assert title.shown_text() == title.text()  # fits beside the icon-only buttons
    DOCS.mkdir(exist_ok=True)
    assert window.grab().save(str(DOCS / "window-360.png"))
    window.user_name = "Константинопольская-Ивановская Александра Владиславовна"
    window.retranslate()
    assert title.shown_text().endswith("…")  # elided, not cut mid-letter
    assert title.shown_text().startswith("Командор")
    assert _inside(window, window.menu_button)
    window.resize(1100, 760)
    qtbot.waitUntil(lambda: window.detail.isVisible())
