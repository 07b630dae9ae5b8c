"""Look of the window: a light and a dark style sheet that follow the system palette.

Only the chrome is styled here (toolbar, search field, filter chips, panes,
status bar); rows are painted by the delegate from the palette, so both follow
whichever scheme the system reports.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette

LIGHT = {
    "window": "#f4f6f9", "pane": "#ffffff", "border": "#e3e7ee", "field": "#eef1f5",
    "text": "#1c2430", "soft": "#6b7685", "chip": "#eef1f5", "chip_on": "#2f7de1",
    "chip_on_text": "#ffffff", "card": "#fff6e5", "card_border": "#f2d59b", "bubble": "#eef4fd",
}
DARK = {
    "window": "#15191f", "pane": "#1c2128", "border": "#2b323c", "field": "#262c35",
    "text": "#e6eaf0", "soft": "#98a2b1", "chip": "#262c35", "chip_on": "#3b8cf0",
    "chip_on_text": "#ffffff", "card": "#3a3022", "card_border": "#6b5427", "bubble": "#1f2d42",
}

_SHEET = """
QMainWindow, QDialog {{ background: {window}; }}
QToolBar {{ background: {pane}; border: none; border-bottom: 1px solid {border};
            padding: 6px 10px; spacing: 6px; }}
QToolBar QToolButton {{ border: none; border-radius: 8px; padding: 6px 10px; color: {text}; }}
QToolBar QToolButton:hover {{ background: {field}; }}
QToolBar QToolButton::menu-indicator {{ image: none; width: 0; }}
QLabel#windowTitle {{ font-weight: 600; color: {text}; }}
QWidget#chatPane {{ background: {pane}; border-right: 1px solid {border}; }}
QWidget#chatPane QTreeView {{ background: {pane}; }}
QLineEdit {{ background: {field}; border: 1px solid transparent; border-radius: 9px;
             padding: 6px 8px; color: {text}; selection-background-color: {chip_on}; }}
QLineEdit:focus {{ border: 1px solid {chip_on}; background: {pane}; }}
QPushButton {{ background: {pane}; border: 1px solid {border}; border-radius: 8px;
               padding: 6px 14px; color: {text}; }}
QPushButton:hover {{ background: {field}; }}
QPushButton:disabled {{ color: {soft}; }}
QStatusBar QPushButton {{ border: none; background: transparent; color: {chip_on};
                          font-weight: 600; padding: 2px 6px; }}
QPushButton#filterChip {{ background: {chip}; border: none; border-radius: 13px;
                          padding: 4px 14px; min-height: 18px; color: {text}; }}
QPushButton#filterChip:checked {{ background: {chip_on}; color: {chip_on_text}; font-weight: 600; }}
QWidget#detailBody {{ background: {window}; }}
QFrame#connectionBanner {{ background: {card}; border: none;
                           border-bottom: 1px solid {card_border}; }}
QFrame#connectionBanner QLabel {{ color: {text}; }}
QPushButton#bannerButton {{ background: transparent; border: 1px solid {card_border};
                            font-weight: 600; padding: 4px 12px; }}
QFrame#stateCard {{ background: {card}; border: 1px solid {card_border}; border-radius: 10px; }}
QLabel#messageBubble {{ background: {bubble}; border-radius: 10px; padding: 10px 12px;
                        color: {text}; }}
QStatusBar {{ background: {pane}; border-top: 1px solid {border}; color: {soft}; }}
QStatusBar::item {{ border: none; }}
QProgressBar {{ background: {field}; border: none; border-radius: 4px; }}
QProgressBar::chunk {{ background: {chip_on}; border-radius: 4px; }}
QSplitter::handle {{ background: {border}; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 2px; }}
QScrollBar::handle:vertical {{ background: {border}; border-radius: 4px; min-height: 30px; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
"""


def is_dark(palette: QPalette | None = None) -> bool:
    """Dark when the system says so, else judged by the window colour."""
    hints = QGuiApplication.styleHints()
    if hints is not None and hints.colorScheme() != Qt.ColorScheme.Unknown:
        return hints.colorScheme() == Qt.ColorScheme.Dark
    pal = palette or QGuiApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def colors(dark: bool) -> dict[str, str]:
    return DARK if dark else LIGHT


def stylesheet(dark: bool) -> str:
    """The window's style sheet for the light or the dark scheme."""
    return _SHEET.format(**colors(dark))


def palette(dark: bool) -> QPalette:
    """A palette matching the sheet, so the delegate's colours agree with it."""
    c = colors(dark)
    pal = QPalette(QGuiApplication.palette())
    role = QPalette.ColorRole
    pal.setColor(role.Window, c["window"])
    pal.setColor(role.Base, c["pane"])
    pal.setColor(role.AlternateBase, c["field"])
    pal.setColor(role.Text, c["text"])
    pal.setColor(role.WindowText, c["text"])
    pal.setColor(role.ButtonText, c["text"])
    pal.setColor(role.Button, c["field"])
    pal.setColor(role.PlaceholderText, c["soft"])
    pal.setColor(role.Highlight, c["chip_on"])
    pal.setColor(role.HighlightedText, "#ffffff")
    pal.setColor(role.ToolTipBase, c["pane"])
    pal.setColor(role.ToolTipText, c["text"])
    return pal
