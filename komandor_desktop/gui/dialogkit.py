"""Small pieces the add-contacts, login and passphrase dialogs share.

Kept apart from the dialogs so each dialog module stays one responsibility
and under the house size limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QWidget

PHONE_FORMAT = "+7 9XX XXX-XX-XX"


def error_label(parent: QWidget) -> QLabel:
    """A red, wrapping, initially hidden label: long server messages must not be cut."""
    label = QLabel(parent)
    label.setObjectName("errorText")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    pal = label.palette()
    pal.setColor(QPalette.ColorRole.WindowText, "#d64545")
    label.setPalette(pal)
    label.hide()
    return label


def add_form_row(form: QFormLayout, text: str, field: QWidget) -> QLabel:
    """A form row whose caption is centred on the field's text line.

    QFormLayout puts a caption at the top of its row, and the app's style
    sheet pads line edits, so plain captions sit visibly above the text.
    """
    caption = QLabel(text, field.parentWidget())
    caption.setBuddy(field)
    caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    caption.setMinimumHeight(field.sizeHint().height())
    form.addRow(caption, field)
    return caption


def grow_to_fit(dialog: QDialog) -> None:
    """Make the dialog tall enough for its (wrapped) labels at its current width.

    A top-level window does not follow its layout's height-for-width by itself,
    so a long error would otherwise be squeezed into the old height and clipped.
    """
    layout = dialog.layout()
    if layout is None:
        return
    layout.activate()
    width = dialog.width()
    needed = (layout.totalHeightForWidth(width) if layout.hasHeightForWidth()
              else layout.totalSizeHint().height())
    if needed > dialog.height():
        dialog.resize(width, needed)


class TaskSet:
    """Strong references to a dialog's asyncio tasks.

    qasync 0.28 keeps only weak references to tasks (its issue #159), so a
    task nobody holds can vanish mid-flight; closing the dialog cancels what
    is still running, so no late result lands on a dialog the user left.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def start(self, call: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(call)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cancel(self) -> None:
        """Cancel every task except the one calling (it may be closing the dialog)."""
        try:
            current = asyncio.current_task()
        except RuntimeError:  # no running loop
            current = None
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
